"""The render runs the program many times in one process, each run starting clean (the test suite runs hundreds),
even after a run that failed half-way.

Guards what the render's resets of SDK state between runs are for (`pulumi.runtime.settings.ROOT`, the RPC manager
of `settings.SETTINGS`; CONTRIBUTING.md, "Upgrading Pulumi"): after an upgrade that keeps that state elsewhere, a
run would see the previous run's root stack or registrations, and resources or outputs would leak into the next.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from infra.render import RenderResult, run_program
from tests.support import stack_input


def _run(name: str) -> RenderResult:
    given = stack_input("dev")

    def program() -> dict[str, pulumi.Output[Any]]:
        config_map = k8s.core.v1.ConfigMap(name, data={"who": name})
        return {"name": config_map.metadata.apply(lambda meta: meta["name"])}

    return run_program("dev", given.values, given.secret_keys, program=program)


def test_each_run_sees_only_its_own_resources_and_outputs() -> None:
    first, second, again = _run("first"), _run("second"), _run("first")
    assert [r.name for r in first.resources if r.custom] == ["first"]
    assert [r.name for r in second.resources if r.custom] == ["second"]
    assert second.outputs == {"name": "second"}
    assert again.document() == first.document()


def test_a_run_after_a_failed_one_starts_clean() -> None:
    given = stack_input("dev")

    def failing() -> dict[str, pulumi.Output[Any]]:
        k8s.core.v1.ConfigMap("half-declared", data={"x": "y"})
        raise ValueError("the program failed half-way")

    with pytest.raises(Exception, match="half-way"):  # whatever the SDK wraps it in
        run_program("dev", given.values, given.secret_keys, program=failing)
    after = _run("after")
    assert [r.name for r in after.resources if r.custom] == ["after"]
