"""prod: AKS, ACR and Key Vault. Azure modules are imported here only, never on the dev path."""

from __future__ import annotations

from typing import Any

from infra.cluster.aks import AksCluster, AksClusterArgs
from infra.cluster.handle import AzureScope
from infra.config import StackConfig
from infra.observability.values import LokiBlobStorage
from stacks.platform import build_platform
from stacks.prod_services import prod_registry_and_secrets
from stacks.services import EnvironmentParts


def build_cluster(config: StackConfig) -> AksCluster:
    platform = config.platform
    return AksCluster(
        platform.cluster.name,
        AksClusterArgs(
            config=platform.cluster.aks,
            secrets_rotation_poll_interval=platform.secret_store.key_vault.rotation_poll_interval,
        ),
    )


def loki_blob_storage(azure: AzureScope) -> LokiBlobStorage:
    """Observability's prod-only part: Loki's Azure Blob storage and workload identity."""
    from infra.observability.loki_storage import LokiAzureStorage, LokiAzureStorageArgs

    return LokiAzureStorage("loki-logs", LokiAzureStorageArgs(azure=azure)).blob_storage()


def build(config: StackConfig) -> dict[str, Any]:
    aks = build_cluster(config)
    services = prod_registry_and_secrets(config, aks.azure, cluster_ready=[aks])
    # Several nodes and zones: two generator pods of a track never share a node.
    return build_platform(
        config,
        aks.handle(),
        EnvironmentParts(services=lambda _: services, loki_blob=loki_blob_storage(aks.azure), strict_spread=True),
    )
