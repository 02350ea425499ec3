"""prod wiring of ACR and Key Vault from the AKS cluster's Azure scope, and the platform built on top of them.

Guards: prod settings (SKU, retention, soft delete, allow-lists) not reaching the resources; the kubelet identity
or the node subnet not being the ones AKS created; the outputs losing the login server or the vault URI.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_random as random

from infra.cluster.handle import ClusterHandle
from infra.render import RenderResult
from stacks.platform import build_platform
from stacks.prod_services import prod_registry_and_secrets
from stacks.services import EnvironmentParts
from tests.support import stack_config
from tests.support.render import AZURE, KUBELET, SUBNET, render_component

OVERRIDES = {
    "registry": {"acr": {"retentionDays": 14, "publicNetworkAccess": True, "allowedIpRanges": ["198.51.100.0/24"]}},
    "secretStore": {"keyVault": {"softDeleteRetentionDays": 30, "allowedIpRanges": ["203.0.113.9/32"]}},
}


def render_prod() -> RenderResult:
    config = stack_config("prod", OVERRIDES)

    def build(_: pulumi.ResourceOptions) -> dict[str, Any]:
        ready = random.RandomId("aks-ready", byte_length=1)
        services = prod_registry_and_secrets(config, AZURE, cluster_ready=[ready])
        cluster = ClusterHandle(
            name="prompt2prod",
            kind="aks",
            kubeconfig=pulumi.Output.secret("{}"),
            storage_class="managed-csi-premium",
            resource=ready,
            kubernetes_version="1.33",
            azure=AZURE,
        )
        return build_platform(config, cluster, EnvironmentParts(services=lambda _: services, strict_spread=True))

    return render_component(build, stack="prod", overrides=OVERRIDES)


def test_prod_config_reaches_the_registry_and_the_vault() -> None:
    result = render_prod()
    registry = result.named("registry-registry").inputs
    assert registry["policies"]["retentionPolicy"]["days"] == 14
    assert registry["networkRuleSet"]["ipRules"] == [{"action": "Allow", "iPAddressOrRange": "198.51.100.0/24"}]
    assert result.named("registry-kubelet-acrpull").inputs["principalId"] == KUBELET
    vault = result.named("secrets-vault").inputs["properties"]
    assert vault["softDeleteRetentionInDays"] == 30
    assert vault["networkAcls"]["virtualNetworkRules"] == [{"id": SUBNET}]
    assert vault["networkAcls"]["ipRules"] == [{"value": "203.0.113.9/32"}]


def test_prod_outputs_the_acr_login_server_and_the_vault_uri() -> None:
    result = render_prod()
    registry_name = result.named("registry-registry").inputs["registryName"]
    assert result.outputs["registryLoginServer"] == f"{registry_name}.azurecr.io"
    vault_name = result.named("secrets-vault").inputs["vaultName"]
    assert result.outputs["keyVaultUri"] == f"https://{vault_name}.vault.azure.net/"


def test_prod_has_no_in_cluster_registry() -> None:
    result = render_prod()
    assert result.of_type("prompt2prod:index:InClusterRegistry") == []
    assert "registry" not in result.outputs["namespaces"]
