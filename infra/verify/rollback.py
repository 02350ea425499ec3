"""Which image a failed deploy rolls back to: a pure decision over the environment's recorded verdicts.

Every verification leaves a verdict (`infra.verify.deployments`): the image it checked, passed or failed, when,
and whether the image got there by a deploy or by a rollback. After a failed verification:

- the target is the newest image that passed verification, whose latest verdict is still a pass, that is pinned
  by digest (a rollback sets `generator.imageDigest`; a tag could point anywhere by now), and that is not the
  image that just failed;
- no rollback when the image that failed is itself the last one that passed: the image is not what broke (a
  platform change or an outage did), and redeploying it would change nothing;
- an image that passed once but failed since (typically: a rollback to it failed its verification) is never
  chosen again, so the same digest cannot fail twice in a row by our doing, and a run never loops;
- no rollback when nothing qualifies, with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Kind = Literal["deploy", "rollback"]
_PINNED = re.compile(r"^(?P<repository>[^@\s]+)@(?P<digest>sha256:[0-9a-f]{64})$")


@dataclass(frozen=True, kw_only=True)
class Verdict:
    image: str
    """The full image reference that was verified (`generatorImage` output): `repo@sha256:…` or `repo:tag`."""
    verified: bool
    at: datetime
    kind: Kind = "deploy"
    commit: str = ""


@dataclass(frozen=True, kw_only=True)
class Decision:
    target: str | None
    """The image reference to redeploy, or None: do not roll back."""
    reason: str


def split_pinned(image: str) -> tuple[str, str] | None:
    """(`repository`, `sha256:…`) of a digest-pinned reference, else None."""
    match = _PINNED.match(image)
    return (match["repository"], match["digest"]) if match else None


def _when(verdict: Verdict) -> str:
    origin = f"{verdict.kind} of {verdict.commit[:12]}" if verdict.commit else verdict.kind
    return f"{verdict.at:%Y-%m-%d %H:%M} UTC ({origin})"


def decide(history: Sequence[Verdict], failed_image: str) -> Decision:
    """The image to roll back to after `failed_image` failed verification; `history` in any order."""
    newest_first = sorted(history, key=lambda verdict: verdict.at, reverse=True)
    latest: dict[str, Verdict] = {}
    for verdict in newest_first:
        latest.setdefault(verdict.image, verdict)
    passed = [verdict for verdict in newest_first if verdict.verified]
    if not passed:
        return Decision(target=None, reason="no image has passed verification in this environment yet")
    if passed[0].image == failed_image:
        return Decision(
            target=None,
            reason=(
                f"{failed_image} is the last image that passed verification ({_when(passed[0])}): the image is "
                "not what broke, so redeploying it would change nothing; look at the platform change or the cluster"
            ),
        )
    skipped: list[str] = []
    for verdict in passed:
        if verdict.image == failed_image or verdict.image in skipped:
            continue
        if not latest[verdict.image].verified:
            skipped.append(verdict.image)
            continue
        if split_pinned(verdict.image) is None:
            skipped.append(verdict.image)
            continue
        return Decision(target=verdict.image, reason=f"the last image that passed verification, {_when(verdict)}")
    reasons = [
        f"{image} failed verification since ({_when(latest[image])})"
        if not latest[image].verified
        else f"{image} is not pinned by digest"
        for image in skipped
    ]
    return Decision(target=None, reason="no image to roll back to: " + "; ".join(reasons))
