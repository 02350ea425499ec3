"""The CrossGuard registration: every rule is a mandatory policy, and violations reach the engine's callback.

The engine hands props over as read-only proxies (lists are `Sequence`s, not `list`s); the rules must see
through them exactly as they see the render's plain JSON.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import yaml
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import unknown_checking_proxy

from policy.pack import policies
from policy.rules import RESOURCE_RULES
from policy.stack_rules import STACK_RULES
from tests.support import REPO
from tests.support.policy import deployment

OPTIONS = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def by_name() -> dict[str, Any]:
    return {policy.name: policy for policy in policies()}


def test_every_rule_is_registered_as_a_mandatory_policy() -> None:
    registered = by_name()
    assert set(registered) == set(RESOURCE_RULES) | set(STACK_RULES)
    assert {p.enforcement_level for p in registered.values()} == {EnforcementLevel.MANDATORY}
    assert all(isinstance(registered[name], ResourceValidationPolicy) for name in RESOURCE_RULES)
    assert all(isinstance(registered[name], StackValidationPolicy) for name in STACK_RULES)


def test_a_resource_policy_reports_through_the_engine_proxy() -> None:
    broken = deployment(image="nginx:latest")
    props = unknown_checking_proxy(dict(broken.inputs))
    args = ResourceValidationArgs(broken.type, props, broken.urn, broken.name, OPTIONS, None)
    reported: list[tuple[str, str | None]] = []
    by_name()["pinned-images"].validate(args, lambda message, urn=None: reported.append((message, urn)))
    assert reported == [
        ("Deployment shop/web (web-deploy): container \"app\" image 'nginx:latest' uses the latest tag", None)
    ]


def test_a_stack_policy_reports_on_the_offending_resource() -> None:
    workload = deployment()
    resource = PolicyResource(
        workload.type,
        unknown_checking_proxy(dict(workload.inputs)),
        workload.urn,
        workload.name,
        OPTIONS,
        None,
        None,
        [],
        {},
    )
    reported: list[tuple[str, str | None]] = []
    by_name()["network-policy-per-workload"].validate(
        StackValidationArgs([resource]), lambda message, urn=None: reported.append((message, urn))
    )
    assert reported == [(f"{workload.describe()}: no NetworkPolicy in shop selects its pods", workload.urn)]


def test_the_pack_starts_the_way_the_pulumi_cli_runs_it() -> None:
    # `pulumi preview --policy-pack policy` runs `python -m pulumi.policy <engine> <pack dir>` in the pack's
    # virtualenv; the pack serves the analyzer over gRPC and prints its port on the first line of stdout.
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", "."],
        cwd=REPO / "policy",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline().strip()
        assert first_line.isdigit(), process.stderr.read() if process.stderr else first_line
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_pack_runs_in_the_project_virtualenv() -> None:
    project = yaml.safe_load((REPO / "policy" / "PulumiPolicy.yaml").read_text())
    assert project["runtime"] == {"name": "python", "options": {"virtualenv": "../.venv"}}
    assert (REPO / "policy" / project["runtime"]["options"]["virtualenv"] / "bin" / "python").exists()
