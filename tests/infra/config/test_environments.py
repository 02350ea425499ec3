"""The environment table: every kind it allows exists, and each environment can be deployed with some kind.

Guards a table edit that names a kind the config models do not know (the environment could never be valid) or
leaves a concern without any allowed implementation.
"""

from __future__ import annotations

from typing import get_args

import pytest

from infra.config.cluster import ClusterConfig
from infra.config.environments import ENVIRONMENTS, Concern
from infra.config.registry import RegistryConfig
from infra.config.secret_store import SecretStoreConfig

KINDS = {
    "cluster": set(get_args(ClusterConfig.model_fields["kind"].annotation)),
    "registry": set(get_args(RegistryConfig.model_fields["kind"].annotation)),
    "secretStore": set(get_args(SecretStoreConfig.model_fields["kind"].annotation)),
}


@pytest.mark.parametrize("environment", sorted(ENVIRONMENTS))
@pytest.mark.parametrize("concern", sorted(KINDS))
def test_each_environment_allows_existing_kinds_only(environment: str, concern: Concern) -> None:
    allowed = ENVIRONMENTS[environment].kinds[concern]  # type: ignore[index]
    assert allowed
    assert allowed <= KINDS[concern]


@pytest.mark.parametrize("concern", sorted(KINDS))
def test_every_kind_belongs_to_some_environment(concern: Concern) -> None:
    assert set().union(*(rules.kinds[concern] for rules in ENVIRONMENTS.values())) == KINDS[concern]


def test_an_environments_defaults_pick_kinds_it_allows() -> None:
    for rules in ENVIRONMENTS.values():
        for concern, kinds in rules.kinds.items():
            default = rules.defaults.get(concern, {}).get("kind")
            assert default is None or default in kinds
