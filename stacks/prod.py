"""prod: AKS, ACR and Key Vault. Azure modules are imported here only, never on the dev path."""

from __future__ import annotations

from typing import Any

from infra.aks import AksCluster, AksClusterArgs
from infra.config import StackConfig
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


def build(config: StackConfig) -> dict[str, Any]:
    aks = build_cluster(config)
    # ACR and Key Vault build on `aks` (kubelet_identity_object_id, node_subnet_id, oidc_issuer_url, ...).
    return build_platform(config, aks.handle())
