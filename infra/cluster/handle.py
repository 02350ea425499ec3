"""What every cluster implementation hands to the rest of the platform.

K3s (dev), an existing cluster (dev) and AKS (prod) each produce a `ClusterHandle`; `stacks/` builds the
Kubernetes provider from it once (`infra.cluster.provider`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pulumi

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
