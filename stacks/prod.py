"""prod: AKS, ACR and Key Vault. Azure modules are imported here only, never on the dev path."""

from __future__ import annotations

from typing import Any

import pulumi

from infra.aks import AksCluster, AksClusterArgs
from infra.config import StackConfig
from infra.monitoring_values import LokiBlobStorage
from stacks.platform import build_platform


def build_cluster(config: StackConfig) -> AksCluster:
    platform = config.platform
    return AksCluster(
        platform.cluster.name,
        AksClusterArgs(
            settings=platform.cluster.aks,
            secrets_rotation_poll_interval=platform.secret_store.key_vault.rotation_poll_interval,
        ),
    )


def loki_blob_storage(
    resource_group_name: pulumi.Input[str], location: pulumi.Input[str], oidc_issuer_url: pulumi.Input[str]
) -> LokiBlobStorage:
    """Observability's prod-only part: Loki's Azure Blob storage and workload identity."""
    from infra.loki_storage import LokiAzureStorage, LokiAzureStorageArgs

    return LokiAzureStorage(
        "loki-logs",
        LokiAzureStorageArgs(
            resource_group_name=resource_group_name, location=location, oidc_issuer_url=oidc_issuer_url
        ),
    ).blob_storage()


def build(config: StackConfig) -> dict[str, Any]:
    aks = build_cluster(config)
    loki_blob = loki_blob_storage(aks.resource_group_name, aks.location, aks.oidc_issuer_url)
    return build_platform(config, aks.handle(), loki_blob=loki_blob)
