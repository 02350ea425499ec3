"""prod: ACR and Key Vault, built next to AKS in its resource group. Imports Azure modules.

`stacks/prod.py` calls `prod_registry_and_secrets` once the AKS cluster exists and hands the result to
`build_platform`, which then uses the Key Vault store for every workload's secrets.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi

from infra.cluster.handle import AzureScope
from infra.config import StackConfig
from infra.registry.acr import ContainerRegistry, ContainerRegistryArgs
from infra.secrets.key_vault import KeyVault, KeyVaultArgs, KeyVaultSecretStore, KeyVaultSecretStoreArgs
from stacks.services import ClusterServices


def prod_registry_and_secrets(
    config: StackConfig, azure: AzureScope, cluster_ready: Sequence[pulumi.Resource]
) -> ClusterServices:
    """`cluster_ready`: after which the cluster (and its Key Vault CSI add-on, hence the SecretProviderClass CRD)
    exists."""
    platform = config.platform
    tags = {"project": "prompt2prod", "environment": platform.environment}
    registry = ContainerRegistry(
        "registry",
        ContainerRegistryArgs(azure=azure, config=platform.registry.acr, name_prefix=platform.cluster.name, tags=tags),
    )
    vault = KeyVault(
        "secrets",
        KeyVaultArgs(azure=azure, config=platform.secret_store.key_vault, name_prefix=platform.cluster.name, tags=tags),
    )
    store = KeyVaultSecretStore(vault, KeyVaultSecretStoreArgs(azure=azure, cluster_ready=cluster_ready))
    return ClusterServices(
        registry_login_server=registry.login_server,
        secret_store=store,
        key_vault_uri=vault.uri,
        registry_ready=registry.ready,
    )
