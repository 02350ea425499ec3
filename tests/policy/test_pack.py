"""The CrossGuard registration: every rule is a mandatory policy, and violations reach the engine's callback.

The engine hands props over as read-only proxies (lists are `Sequence`s, not `list`s); the rules must see
through them exactly as they see the render's plain JSON.
"""

from __future__ import annotations

from typing import Any

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
from tests.policy.test_rules import deployment

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
