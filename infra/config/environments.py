"""What an environment means, in one table: its defaults, the implementations it may pick and the rules it enforces.

`parse_config` merges an environment's `defaults` under the user's values and validates with the environment as
context; the section validators look their rule up here (`rules_of`) and report it at their own key. Which
components an environment builds is `stacks/`'s business (`stacks/dev.py`, `stacks/prod.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import AfterValidator, ValidationInfo

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
    public_hostnames: bool
    """The gateway's hostnames must be names others can resolve: `localhost` and `*.localhost` never leave the
    machine they are typed on (RFC 6761), so a public platform on them is unreachable by design."""
    location_required: bool
    """The cluster runs in an Azure region that must be named (`cluster.aks.location`)."""
    required: Mapping[str, Any]
    """Keys (dotted paths) with no usable default here, each with an example value: the configuration reference
    shows them, and tests build the smallest valid stack from them and check that each one is really needed."""


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
        public_hostnames=False,
        location_required=False,
        required={},
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
        public_hostnames=True,
        location_required=True,
        required={
            "cluster.aks.location": "westeurope",
            "cluster.aks.apiServerAuthorizedIpRanges": ["203.0.113.0/24"],
            "gateway.generatorHostname": "generator.example.com",
            "gateway.llmHostname": "llm.example.com",
            "gateway.grafanaHostname": "grafana.example.com",
        },
    ),
}


def minimal_config(environment: Environment) -> dict[str, Any]:
    """The smallest valid `prompt2prod:*` document for `environment`: its name and its `required` examples."""
    document: dict[str, Any] = {"environment": environment}
    for path, value in ENVIRONMENTS[environment].required.items():
        *parents, leaf = path.split(".")
        node = document
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return document


def environment_of(info: ValidationInfo) -> Environment:
    """The environment being validated, passed as validation context by `infra.config.parse_config`."""
    context: dict[str, Any] = info.context or {}
    env: Environment = context.get("environment", "dev")
    return env


def rules_of(info: ValidationInfo) -> EnvironmentRules:
    return ENVIRONMENTS[environment_of(info)]


def kind_allowed_for(concern: Concern, noun: str) -> AfterValidator:
    """The validator of a section's `kind`: refuse an implementation the environment does not use, e.g. "'k3s' is not
    a cluster kind for prod". Use as `kind: Annotated[Literal[...], kind_allowed_for("cluster", "a cluster kind")]`."""

    def check(value: str, info: ValidationInfo) -> str:
        allowed = rules_of(info).kinds[concern]
        if value not in allowed:
            raise ValueError(f"{value!r} is not {noun} for {environment_of(info)} ({sorted(allowed)})")
        return value

    return AfterValidator(check)


def reachable_hostname(value: str, info: ValidationInfo) -> str:
    """Refuse `localhost` and `*.localhost` where the environment needs names others can resolve."""
    if rules_of(info).public_hostnames and (value == "localhost" or value.endswith(".localhost")):
        raise ValueError(
            f"{value!r} only resolves on the machine itself: {environment_of(info)} needs a DNS name "
            f"that you point at the gateway's address (e.g. {value.split('.')[0]}.example.com)"
        )
    return value


def enough_replicas(replicas: int, info: ValidationInfo, what: str, why: str) -> int:
    """Refuse fewer replicas than the environment keeps highly available, saying `why` it keeps them."""
    minimum = rules_of(info).min_replicas
    if replicas < minimum:
        raise ValueError(f"{environment_of(info)} runs at least {minimum} {what} so that {why}")
    return replicas
