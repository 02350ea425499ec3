"""CrossGuard registration: every rule of `policy.rules` / `policy.stack_rules` as a mandatory policy."""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policy.rules import RESOURCE_RULES, Resource, ResourceRule
from policy.stack_rules import STACK_RULES, StackRule

PACK_NAME = "prompt2prod"


def _resource(args: ResourceValidationArgs | PolicyResource) -> Resource:
    return Resource(args.resource_type, args.name, args.urn, args.props)


def _described(name: str, rule: ResourceRule | StackRule) -> dict[str, Any]:
    """What every policy of the pack shares: its name, the first line of its rule's docstring, and mandatory."""
    description = (rule.__doc__ or name).strip().splitlines()[0]
    return {"name": name, "description": description, "enforcement_level": EnforcementLevel.MANDATORY}


def resource_policy(name: str, rule: ResourceRule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for message in rule(_resource(args)):
            report_violation(message, None)

    return ResourceValidationPolicy(validate=validate, **_described(name, rule))


def stack_policy(name: str, rule: StackRule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        for urn, message in rule([_resource(r) for r in args.resources]):
            report_violation(message, urn)

    return StackValidationPolicy(validate=validate, **_described(name, rule))


def policies() -> list[Policy]:
    resource: list[Policy] = [resource_policy(name, rule) for name, rule in RESOURCE_RULES.items()]
    return resource + [stack_policy(name, rule) for name, rule in STACK_RULES.items()]
