"""What every cluster implementation hands to the rest of the platform, and the one Kubernetes provider.

K3s (dev), an existing cluster (dev) and AKS (prod) each produce a `ClusterHandle`; `stacks/` builds the
Kubernetes provider once from its kubeconfig and passes it to every later component, so nothing Kubernetes
can be declared before the cluster exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_kubernetes as k8s

ClusterKind = Literal["k3s", "existing", "aks"]


@dataclass(frozen=True, kw_only=True)
class ClusterHandle:
    name: str
    kind: ClusterKind
    kubeconfig: pulumi.Output[str]
    """A secret Output: the admin kubeconfig, server address reachable from where Pulumi runs."""
    storage_class: str
    """The storage class for persistent volumes (`local-path` on K3s, `managed-csi-premium` on AKS)."""
    resource: pulumi.Resource
    """The resource whose completion means the API server is ready."""
    kubernetes_version: str
    has_gpu_nodes: bool = False
    resource_group_name: pulumi.Output[str] | None = None
    """Azure only: the cluster's resource group."""
    location: str | None = None
    """Azure only: the region."""
    oidc_issuer_url: pulumi.Output[str] | None = None
    """Azure only: the OIDC issuer that workload identity federated credentials trust."""


def kubernetes_provider(cluster: ClusterHandle) -> k8s.Provider:
    """The single Kubernetes provider of the stack, built from the cluster's kubeconfig (kept secret)."""
    return k8s.Provider(
        f"{cluster.name}-k8s",
        k8s.ProviderArgs(
            kubeconfig=pulumi.Output.secret(cluster.kubeconfig),
            # Server-side apply: field ownership is tracked, so Helm- and Pulumi-managed fields don't fight.
            enable_server_side_apply=True,
            delete_unreachable=False,
        ),
        opts=pulumi.ResourceOptions(depends_on=[cluster.resource]),
    )
