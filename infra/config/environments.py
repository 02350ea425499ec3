"""What an environment means, in one table: its defaults, the implementations it may pick and the rules it enforces.

`parse_config` merges an environment's `defaults` under the user's values and validates with the environment as
context; the section validators look their rule up here (`rules_of`) and report it at their own key. Which
components an environment builds is `stacks/`'s business (`stacks/dev.py`, `stacks/prod.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationInfo

Environment = Literal["dev", "prod"]
Concern = Literal["cluster", "registry", "secretStore"]


@dataclass(frozen=True, kw_only=True)
class EnvironmentRules:
    defaults: Mapping[str, Any]
    """Config merged under the user's values (`Pulumi.<stack>.yaml` wins)."""
    kinds: Mapping[Concern, frozenset[str]]
    """The implementations (`<concern>.kind`) the environment may use."""
    min_replicas: int
    """Floor of the generator's and the gateway's (controller and proxy) replicas, so that a node drain keeps them
    serving."""
    tls_required: bool
    """The public listener must terminate TLS."""
    location_required: bool
    """The cluster runs in an Azure region that must be named (`cluster.aks.location`)."""


ENVIRONMENTS: Mapping[Environment, EnvironmentRules] = {
    "dev": EnvironmentRules(
        defaults={},
        kinds={
            "cluster": frozenset({"k3s", "existing"}),
            "registry": frozenset({"inCluster", "external"}),
            "secretStore": frozenset({"kubernetes"}),
        },
        min_replicas=1,
        tls_required=False,
        location_required=False,
    ),
    "prod": EnvironmentRules(
        defaults={
            "cluster": {"kind": "aks"},
            "registry": {"kind": "acr"},
            "secretStore": {"kind": "keyVault"},
            "gateway": {"tls": "selfSigned", "controller": {"replicas": 2}, "proxy": {"replicas": 2}},
            "generator": {"replicas": 2},
        },
        kinds={
            "cluster": frozenset({"aks"}),
            "registry": frozenset({"acr"}),
            "secretStore": frozenset({"keyVault"}),
        },
        min_replicas=2,
        tls_required=True,
        location_required=True,
    ),
}


def environment_of(info: ValidationInfo) -> Environment:
    """The environment being validated, passed as validation context by `infra.config.parse_config`."""
    context: dict[str, Any] = info.context or {}
    env: Environment = context.get("environment", "dev")
    return env


def rules_of(info: ValidationInfo) -> EnvironmentRules:
    return ENVIRONMENTS[environment_of(info)]


def allowed_kind(value: str, info: ValidationInfo, concern: Concern, noun: str) -> str:
    """Refuse an implementation the environment does not use, e.g. "'k3s' is not a cluster kind for prod"."""
    allowed = rules_of(info).kinds[concern]
    if value not in allowed:
        raise ValueError(f"{value!r} is not {noun} for {environment_of(info)} ({sorted(allowed)})")
    return value


def enough_replicas(replicas: int, info: ValidationInfo, what: str, why: str) -> int:
    """Refuse fewer replicas than the environment keeps highly available, saying `why` it keeps them."""
    minimum = rules_of(info).min_replicas
    if replicas < minimum:
        raise ValueError(f"{environment_of(info)} runs at least {minimum} {what} so that {why}")
    return replicas
