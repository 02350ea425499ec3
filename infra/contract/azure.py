"""Who must reach each firewalled Azure resource of prod, from which network, as which identity — as data.

`tests/platform` checks the rendered prod resources against these: for an allowed access, the client's subnet
reaches the resource (through a private endpoint whose `privatelink` DNS zone is linked to the client's VNet, or
through a service endpoint the resource's network rules admit) and the identity holds the role, or, for a trusted
Azure service, the resource lets trusted services bypass its network rules; for a denied one, no network path
exists. Pulumi and `az acr import` only talk to Azure Resource Manager, which these firewalls do not filter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from infra import azure

Client = Literal["AKS nodes", "ACR import", "the internet"]
"""AKS nodes: the node subnets (pods leave the VNet with their node's address: Azure CNI overlay). ACR import: the
registry's own import service, run by `az acr import` (a trusted service of the registry, in no subnet of ours).
The internet: e.g. a hosted CI runner."""
Resource = Literal["container registry", "key vault", "Loki storage"]
Identity = Literal["kubelet", "workload identity", "deploy identity", "anyone"]
"""kubelet: the AKS kubelet identity; workload identity: the user-assigned identity federated with a pod's
ServiceAccount; deploy identity: CI's Entra ID identity, granted by hand (docs/delivery.md), not by the program."""


@dataclass(frozen=True, kw_only=True)
class AzureAccess:
    client: Client
    resource: Resource
    identity: Identity
    role: str | None
    """The built-in role (`infra.azure`) the identity needs on the resource (or on the secrets it reads)."""
    purpose: str


ALLOWED_ACCESS: Final[tuple[AzureAccess, ...]] = (
    AzureAccess(
        client="AKS nodes",
        resource="container registry",
        identity="kubelet",
        role=azure.ACR_PULL,
        purpose="nodes pull the generator image",
    ),
    AzureAccess(
        client="ACR import",
        resource="container registry",
        identity="deploy identity",
        role=None,
        purpose="CI copies the attested digest in from GHCR with `az acr import` (.github/workflows/main.yml)",
    ),
    AzureAccess(
        client="AKS nodes",
        resource="key vault",
        identity="workload identity",
        role=azure.KEY_VAULT_SECRETS_USER,
        purpose="the Secrets Store CSI driver mounts each workload's secrets",
    ),
    AzureAccess(
        client="AKS nodes",
        resource="Loki storage",
        identity="workload identity",
        role=azure.STORAGE_BLOB_DATA_CONTRIBUTOR,
        purpose="Loki writes and reads its chunks",
    ),
)

DENIED_ACCESS: Final[tuple[AzureAccess, ...]] = tuple(
    AzureAccess(
        client="the internet",
        resource=resource,
        identity="anyone",
        role=None,
        purpose="reachable from the platform's own networks only",
    )
    for resource in ("container registry", "key vault", "Loki storage")
)
