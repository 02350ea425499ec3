"""The rollback decision on recorded histories (GitHub's deployments API answers, tests/delivery/histories/).

Guards: the last image that passed is found among GitHub's own environment deployments; nothing is chosen when
nothing passed or only a tag did; an image that failed after passing (a failed rollback) is never chosen again,
so the same digest cannot fail twice by our doing; an image that failed after passing with the same image is not
"rolled back" to itself; and the decision is instant next to the minute a rollback may take.
"""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from infra.verify.deployments import TASK, verdicts
from infra.verify.rollback import Verdict, decide, split_pinned

HISTORIES = Path(__file__).parent / "histories"
REPOSITORY = "prompt2prodacr7f3a2c.azurecr.io/prompt2prod-generator"


def image(letter: str) -> str:
    return f"{REPOSITORY}@sha256:{letter * 64}"


def recorded(name: str) -> list[dict[str, Any]]:
    document: list[dict[str, Any]] = json.loads((HISTORIES / f"{name}.json").read_text())
    return document


def test_the_last_image_that_passed_is_chosen_among_githubs_own_deployments() -> None:
    history = verdicts(recorded("last_good_found"))

    decision = decide(history, failed_image=image("c"))

    assert [verdict.image for verdict in history] == [image("a"), image("b"), image("c")]
    assert decision.target == image("b")
    assert decision.reason == "the last image that passed verification, 2026-07-02 10:25 UTC (deploy of 104104104104)"


def test_nothing_is_chosen_when_no_digest_ever_passed() -> None:
    decision = decide(verdicts(recorded("none_found")), failed_image=image("c"))

    assert decision.target is None
    assert decision.reason == (
        "no image to roll back to: localhost:30500/prompt2prod-generator:0.1.0 is not pinned by digest"
    )


def test_an_empty_history_says_nothing_passed_yet() -> None:
    decision = decide([], failed_image=image("c"))

    assert decision.target is None
    assert decision.reason == "no image has passed verification in this environment yet"


def test_an_image_whose_rollback_failed_is_not_chosen_again() -> None:
    decision = decide(verdicts(recorded("same_digest_failing_twice")), failed_image=image("c"))

    assert decision.target is None
    assert decision.reason.startswith(f"no image to roll back to: {image('a')} failed verification since")
    assert "(rollback of 303303303303)" in decision.reason


def test_the_image_that_failed_is_not_rolled_back_to_itself() -> None:
    decision = decide(verdicts(recorded("failed_image_passed_before")), failed_image=image("b"))

    assert decision.target is None
    assert decision.reason.startswith(f"{image('b')} is the last image that passed verification")
    assert "the image is not what broke" in decision.reason


def test_the_order_github_lists_deployments_in_does_not_matter() -> None:
    history = verdicts(recorded("last_good_found"))
    shuffled = history[:]
    random.Random(17).shuffle(shuffled)

    assert decide(shuffled, image("c")) == decide(history, image("c"))


@pytest.mark.parametrize(
    "deployment",
    [
        {"task": "deploy", "payload": {"image": "x@sha256:" + "d" * 64, "verified": True}},
        {"task": TASK, "payload": "not json"},
        {"task": TASK, "payload": {"image": "x", "verified": "yes"}},
        {"task": TASK, "payload": {"image": "x", "verified": True, "kind": "hotfix"}},
    ],
)
def test_deployments_that_are_not_verdicts_are_ignored(deployment: dict[str, Any]) -> None:
    assert verdicts([{**deployment, "created_at": "2026-07-01T09:20:00Z"}]) == []


def test_a_payload_github_returns_as_a_string_is_read() -> None:
    payload = json.dumps({"image": image("a"), "verified": True, "kind": "rollback", "commit": "f" * 40})

    (verdict,) = verdicts([{"task": TASK, "payload": payload, "created_at": "2026-07-01T09:20:00Z"}])

    assert (verdict.image, verdict.verified, verdict.kind) == (image("a"), True, "rollback")


def test_only_digest_references_split() -> None:
    assert split_pinned(image("a")) == (REPOSITORY, "sha256:" + "a" * 64)
    assert split_pinned(f"{REPOSITORY}:0.1.0") is None
    assert split_pinned(f"{REPOSITORY}@sha256:{'A' * 64}") is None


def test_deciding_over_a_full_page_of_history_takes_well_under_a_millisecond_each() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    history = [
        Verdict(image=image("0123456789abcdef"[i % 16]), verified=i % 3 != 0, at=start + timedelta(hours=i))
        for i in range(100)
    ]
    runs = 1000
    started = time.perf_counter()
    for _ in range(runs):
        decide(history, failed_image=image("f"))
    per_decision = (time.perf_counter() - started) / runs

    assert per_decision < 0.001, f"{per_decision * 1e6:.0f} µs per decision"
