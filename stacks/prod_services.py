"""prod: ACR and Key Vault, built next to AKS from the cluster's plain inputs. Imports Azure modules.

`stacks/prod.py` calls `prod_registry_and_secrets` once the AKS cluster exists and hands the result to
`build_platform`, which then uses the Key Vault store for every workload's secrets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from infra.config import StackConfig
from infra.registry.acr import ContainerRegistry, ContainerRegistryArgs
from infra.secrets.key_vault import KeyVault, KeyVaultArgs, KeyVaultSecretStore, KeyVaultSecretStoreArgs
from stacks.services import ClusterServices


@dataclass(frozen=True, kw_only=True)
class AksInputs:
    """What the AKS layer provides (outputs of the resource group, node subnet and ManagedCluster)."""

    subscription_id: pulumi.Input[str]
    tenant_id: pulumi.Input[str]
    resource_group_name: pulumi.Input[str]
    location: pulumi.Input[str]
    node_subnet_id: pulumi.Input[str]
    """Needs the `Microsoft.KeyVault` service endpoint, or the vault's network rule is refused."""
    oidc_issuer_url: pulumi.Input[str]
    kubelet_identity_object_id: pulumi.Input[str]
    cluster_ready: Sequence[pulumi.Resource]
    """The resource after which the cluster (and its Key Vault CSI add-on, hence the SecretProviderClass CRD) exists."""


def prod_registry_and_secrets(config: StackConfig, aks: AksInputs) -> ClusterServices:
    platform = config.platform
    acr = platform.registry.acr
    vault_settings = platform.secret_store.key_vault
    tags = {"project": "prompt2prod", "environment": platform.environment}
    registry = ContainerRegistry(
        "registry",
        ContainerRegistryArgs(
            subscription_id=aks.subscription_id,
            resource_group_name=aks.resource_group_name,
            location=aks.location,
            kubelet_identity_object_id=aks.kubelet_identity_object_id,
            config=acr,
            name_prefix=platform.cluster.name,
            tags=tags,
        ),
    )
    vault = KeyVault(
        "secrets",
        KeyVaultArgs(
            resource_group_name=aks.resource_group_name,
            location=aks.location,
            tenant_id=aks.tenant_id,
            node_subnet_id=aks.node_subnet_id,
            config=vault_settings,
            name_prefix=platform.cluster.name,
            tags=tags,
        ),
    )
    store = KeyVaultSecretStore(
        vault,
        KeyVaultSecretStoreArgs(
            subscription_id=aks.subscription_id,
            resource_group_name=aks.resource_group_name,
            location=aks.location,
            tenant_id=aks.tenant_id,
            oidc_issuer_url=aks.oidc_issuer_url,
            cluster_ready=aks.cluster_ready,
        ),
    )
    return ClusterServices(registry_login_server=registry.login_server, secret_store=store, key_vault_uri=vault.uri)
