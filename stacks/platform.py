"""The platform on top of any cluster: everything that is the same in dev and prod, wired in order."""

from __future__ import annotations

from typing import Any

import pulumi

from infra import topology
from infra.cluster import ClusterHandle, kubernetes_provider
from infra.config import StackConfig
from infra.namespaces import DEFAULT_NAMESPACES, Namespaces, NamespacesArgs, PodSecurityLevel
from infra.outputs import SCHEMA_VERSION
from stacks.dev_services import dev_services
from stacks.services import ClusterServices


def namespace_levels(config: StackConfig) -> dict[str, PodSecurityLevel]:
    levels = dict(DEFAULT_NAMESPACES)
    if config.platform.registry.kind == "inCluster":
        levels[topology.NAMESPACE_REGISTRY] = "restricted"
    return levels


def build_platform(
    config: StackConfig, cluster: ClusterHandle, services: ClusterServices | None = None
) -> dict[str, Any]:
    """Declare the in-cluster platform; returns the stack outputs (see `infra.outputs.StackOutputs`).

    `services` is what the environment built next to the cluster (prod: ACR and Key Vault, see
    `stacks.prod_services`); without it (dev) the registry and the secret store are built inside the cluster.
    """
    provider = kubernetes_provider(cluster)
    in_cluster = pulumi.ResourceOptions(providers=[provider])
    namespaces = Namespaces("platform", NamespacesArgs(levels=namespace_levels(config)), opts=in_cluster)
    services = services if services is not None else dev_services(config, cluster, namespaces, in_cluster)
    return {
        "schemaVersion": SCHEMA_VERSION,
        "environment": config.platform.environment,
        "clusterName": cluster.name,
        "clusterKind": cluster.kind,
        "kubeconfig": cluster.kubeconfig,
        "namespaces": sorted(namespaces.by_name),
        "registryLoginServer": services.registry_login_server,
        "keyVaultUri": services.key_vault_uri,
    }
