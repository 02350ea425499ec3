"""Registry and secret-store settings are validated at load, and every bad value names its key.

Guards: a typo'd SKU or a retention of 0 days reaching Azure as a failed deployment half-way through `pulumi up`;
a firewall "allow-list" that is 0.0.0.0/0; an external registry without a server or its password.
"""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import ConfigError, StackConfig, parse_config
from tests.support import stack_input


def problems(stack: str, overrides: dict[str, Any], secrets: dict[str, str] | None = None) -> list[str]:
    given = stack_input(stack, overrides, secrets)
    with pytest.raises(ConfigError) as error:
        parse_config(given.values, given.secret_keys)
    return error.value.problems


def load(stack: str, overrides: dict[str, Any], secrets: dict[str, str] | None = None) -> StackConfig:
    given = stack_input(stack, overrides, secrets)
    return parse_config(given.values, given.secret_keys)


@pytest.mark.parametrize(
    ("acr", "expected"),
    [
        ({"retentionDays": 0}, "prompt2prod:registry.acr.retentionDays: Input should be greater than or equal to 1"),
        ({"retentionDays": 366}, "prompt2prod:registry.acr.retentionDays: Input should be less than or equal to 365"),
        ({"sku": "Gold"}, "prompt2prod:registry.acr.sku: Input should be 'Basic', 'Standard' or 'Premium'"),
        ({"allowedIpRanges": ["10.0.0.300/8"]}, "prompt2prod:registry.acr.allowedIpRanges[0]: Input is not a valid"),
        ({"allowedIpRanges": ["0.0.0.0/0"]}, "prompt2prod:registry.acr.allowedIpRanges: 0.0.0.0/0 allows the whole"),
        (
            {"sku": "Standard", "allowedIpRanges": ["198.51.100.0/24"]},
            "prompt2prod:registry.acr: allowedIpRanges needs sku 'Premium'",
        ),
        ({"sku": "Basic", "publicNetworkAccess": False}, "prompt2prod:registry.acr: publicNetworkAccess false needs"),
        ({"sku": "Basic"}, "prompt2prod:registry.acr: publicNetworkAccess false needs sku 'Premium'"),
        (
            {"allowedIpRanges": ["198.51.100.0/24"]},
            "prompt2prod:registry.acr: allowedIpRanges needs publicNetworkAccess true",
        ),
        ({"buildAgents": {"tier": "S1"}}, "prompt2prod:registry.acr.buildAgents: unknown key"),
    ],
)
def test_bad_acr_settings_are_refused_naming_the_key(acr: dict[str, Any], expected: str) -> None:
    assert any(line.startswith(expected) for line in problems("prod", {"registry": {"acr": acr}})), expected


def test_acr_defaults_are_premium_with_retention_and_private() -> None:
    acr = load("prod", {}).platform.registry.acr
    assert (acr.sku, acr.retention_days, acr.zone_redundancy) == ("Premium", 30, True)
    assert acr.public_network_access is False


def test_acr_allowed_ranges_are_parsed_as_networks() -> None:
    public = {"publicNetworkAccess": True, "allowedIpRanges": ["198.51.100.0/24"]}
    acr = load("prod", {"registry": {"acr": public}}).platform.registry.acr
    assert [str(cidr) for cidr in acr.allowed_ip_ranges] == ["198.51.100.0/24"]


def test_external_registry_needs_a_server() -> None:
    assert "prompt2prod:registry: external.server is required when kind is 'external'" in problems(
        "dev", {"registry": {"kind": "external"}}
    )


def test_external_registry_with_a_user_needs_the_password_secret() -> None:
    overrides = {"registry": {"kind": "external", "external": {"server": "ghcr.io", "username": "bot"}}}
    assert "prompt2prod:registryPassword: required because registry.external.username is set" in problems(
        "dev", overrides
    )
    assert load("dev", overrides, {"registryPassword": "pw"}).has_secret("registryPassword")


def test_external_registry_without_a_user_needs_no_password() -> None:
    config = load("dev", {"registry": {"kind": "external", "external": {"server": "registry.example.com"}}})
    assert config.platform.registry.external.server == "registry.example.com"


@pytest.mark.parametrize(
    ("stack", "kind", "expected"),
    [
        ("dev", "acr", "prompt2prod:registry.kind: 'acr' is not a registry kind for dev"),
        ("prod", "inCluster", "prompt2prod:registry.kind: 'inCluster' is not a registry kind for prod"),
    ],
)
def test_registry_kind_must_fit_the_environment(stack: str, kind: str, expected: str) -> None:
    assert any(line.startswith(expected) for line in problems(stack, {"registry": {"kind": kind}}))


@pytest.mark.parametrize(
    ("in_cluster", "expected"),
    [
        ({"nodePort": 5000}, "prompt2prod:registry.inCluster.nodePort: Input should be greater than or equal to 30000"),
        ({"imageTag": "latest"}, "prompt2prod:registry.inCluster.imageTag: String should match pattern"),
        ({"imageDigest": "sha256:abc"}, "prompt2prod:registry.inCluster.imageDigest: String should match pattern"),
        ({"storageSize": "0Gi"}, "prompt2prod:registry.inCluster.storageSize: '0Gi' must be greater than zero"),
    ],
)
def test_bad_in_cluster_registry_settings_are_refused(in_cluster: dict[str, Any], expected: str) -> None:
    assert any(line.startswith(expected) for line in problems("dev", {"registry": {"inCluster": in_cluster}}))


@pytest.mark.parametrize(
    ("key_vault", "expected"),
    [
        ({"softDeleteRetentionDays": 6}, "softDeleteRetentionDays: Input should be greater than or equal to 7"),
        ({"softDeleteRetentionDays": 91}, "softDeleteRetentionDays: Input should be less than or equal to 90"),
        ({"sku": "gold"}, "sku: Input should be 'standard' or 'premium'"),
        ({"allowedIpRanges": ["nope"]}, "allowedIpRanges[0]: Input is not a valid IPv4 network"),
        ({"allowedIpRanges": ["0.0.0.0/0"]}, "allowedIpRanges: 0.0.0.0/0 allows the whole internet"),
        ({"rotationPollInterval": "2 minutes"}, "rotationPollInterval: String should match pattern"),
    ],
)
def test_bad_key_vault_settings_are_refused_naming_the_key(key_vault: dict[str, Any], expected: str) -> None:
    lines = problems("prod", {"secretStore": {"keyVault": key_vault}})
    assert any(line.startswith(f"prompt2prod:secretStore.keyVault.{expected}") for line in lines), lines


@pytest.mark.parametrize(
    ("stack", "kind"),
    [("dev", "keyVault"), ("prod", "kubernetes")],
)
def test_secret_store_kind_must_fit_the_environment(stack: str, kind: str) -> None:
    lines = problems(stack, {"secretStore": {"kind": kind}})
    assert any(line.startswith(f"prompt2prod:secretStore.kind: {kind!r} is not a secret store for") for line in lines)


def test_key_vault_defaults_keep_deleted_secrets_ninety_days() -> None:
    config = load("prod", {})
    assert config.platform.secret_store.kind == "keyVault"
    assert config.platform.secret_store.key_vault.soft_delete_retention_days == 90
