"""prod: AKS, ACR and Key Vault. Azure modules are imported here only, never on the dev path."""

from __future__ import annotations

from typing import Any

import pulumi

from infra.cluster.aks import AksCluster, AksClusterArgs
from infra.config import StackConfig
from infra.observability.values import LokiBlobStorage
from stacks.platform import build_platform
from stacks.prod_services import AksInputs, prod_registry_and_secrets
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


def loki_blob_storage(
    resource_group_name: pulumi.Input[str], location: pulumi.Input[str], oidc_issuer_url: pulumi.Input[str]
) -> LokiBlobStorage:
    """Observability's prod-only part: Loki's Azure Blob storage and workload identity."""
    from infra.observability.loki_storage import LokiAzureStorage, LokiAzureStorageArgs

    return LokiAzureStorage(
        "loki-logs",
        LokiAzureStorageArgs(
            resource_group_name=resource_group_name, location=location, oidc_issuer_url=oidc_issuer_url
        ),
    ).blob_storage()


def build(config: StackConfig) -> dict[str, Any]:
    aks = build_cluster(config)
    services = prod_registry_and_secrets(
        config,
        AksInputs(
            subscription_id=aks.subscription_id,
            tenant_id=aks.tenant_id,
            resource_group_name=aks.resource_group_name,
            location=aks.location,
            node_subnet_id=aks.node_subnet_id,
            oidc_issuer_url=aks.oidc_issuer_url,
            kubelet_identity_object_id=aks.kubelet_identity_object_id,
            cluster_ready=[aks],
        ),
    )
    loki_blob = loki_blob_storage(aks.resource_group_name, aks.location, aks.oidc_issuer_url)
    # Several nodes and zones: two generator pods of a track never share a node.
    return build_platform(
        config,
        aks.handle(),
        EnvironmentParts(services=lambda _: services, loki_blob=loki_blob, strict_spread=True),
    )
