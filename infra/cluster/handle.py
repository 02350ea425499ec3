"""What every cluster implementation hands to the rest of the platform.

K3s (dev), an existing cluster (dev) and AKS (prod) each produce a `ClusterHandle`; `stacks/` builds the
Kubernetes provider from it once (`infra.cluster.provider`). AKS also hands over its `AzureScope`: where prod's
other Azure resources (ACR, Key Vault, Loki's storage) go and whom they trust.
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
    azure: AzureScope | None = None
    """AKS only."""


@dataclass(frozen=True, kw_only=True)
class AzureScope:
    """The AKS cluster's Azure context, for the resources built next to it."""

    subscription_id: pulumi.Input[str]
    tenant_id: pulumi.Input[str]
    resource_group_name: pulumi.Input[str]
    """The cluster's resource group, where ACR, Key Vault and Loki's storage account go too."""
    location: str
    node_subnet_id: pulumi.Input[str]
    """The AKS node subnet (with service endpoints for Key Vault and Storage)."""
    virtual_network_id: pulumi.Input[str]
    """The cluster's VNet: private DNS zones are linked to it, so that its hosts resolve private endpoints."""
    private_endpoint_subnet_id: pulumi.Input[str]
    """Where private endpoints (the container registry's) take their addresses."""
    oidc_issuer_url: pulumi.Input[str]
    """The OIDC issuer whose tokens workload identity federated credentials trust."""
    kubelet_identity_object_id: pulumi.Input[str]
    """The identity the nodes pull images with (AcrPull)."""
