"""`build_platform` wiring outside any one component: where the generator image is pulled from by default."""

from __future__ import annotations

import pytest

from infra.config.registry import RegistryConfig
from infra.config.secret_store import SecretStoreConfig
from infra.secret_store import KubernetesSecretStore
from stacks.platform import default_registry_server, default_secret_store
from tests.conftest import RenderStack


def test_in_cluster_registry_is_pulled_through_its_node_port() -> None:
    registry = RegistryConfig.model_validate({"kind": "inCluster", "inCluster": {"nodePort": 30600}})
    assert default_registry_server(registry) == "localhost:30600"


def test_an_external_registry_is_pulled_from_its_server() -> None:
    registry = RegistryConfig.model_validate({"kind": "external", "external": {"server": "ghcr.io"}})
    assert default_registry_server(registry) == "ghcr.io"


def test_acr_must_be_passed_in() -> None:
    registry = RegistryConfig.model_validate({"kind": "acr"}, context={"environment": "prod"})
    with pytest.raises(ValueError, match="pass the registry's login server"):
        default_registry_server(registry)


def test_kubernetes_secrets_are_the_default_store_only_where_configured() -> None:
    assert isinstance(default_secret_store(SecretStoreConfig()), KubernetesSecretStore)
    key_vault = SecretStoreConfig.model_validate({"kind": "keyVault"}, context={"environment": "prod"})
    with pytest.raises(ValueError, match="pass the secret store"):
        default_secret_store(key_vault)


def test_dev_stack_exports_the_generator_image(render_stack: RenderStack) -> None:
    result = render_stack("dev", {"registry": {"inCluster": {"nodePort": 30555}}, "generator": {"imageTag": "1.4.2"}})
    assert result.outputs["generatorImage"] == "localhost:30555/prompt2prod-generator:1.4.2"
