"""The platform on top of any cluster: everything that is the same in dev and prod, wired in order."""

from __future__ import annotations

from typing import Any

import pulumi

from infra.cluster import ClusterHandle, kubernetes_provider
from infra.config import StackConfig
from infra.namespaces import Namespaces, NamespacesArgs
from infra.outputs import SCHEMA_VERSION


def build_platform(config: StackConfig, cluster: ClusterHandle) -> dict[str, Any]:
    """Declare the in-cluster platform; returns the stack outputs (see `infra.outputs.StackOutputs`)."""
    provider = kubernetes_provider(cluster)
    in_cluster = pulumi.ResourceOptions(providers=[provider])
    namespaces = Namespaces("platform", NamespacesArgs(), opts=in_cluster)
    return {
        "schemaVersion": SCHEMA_VERSION,
        "environment": config.platform.environment,
        "clusterName": cluster.name,
        "clusterKind": cluster.kind,
        "kubeconfig": cluster.kubeconfig,
        "kubernetesVersion": cluster.kubernetes_version,
        "resourceGroupName": cluster.resource_group_name,
        "location": cluster.location,
        "oidcIssuerUrl": cluster.oidc_issuer_url,
        "namespaces": sorted(namespaces.by_name),
    }
