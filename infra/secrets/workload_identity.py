"""Azure workload identity for one Kubernetes ServiceAccount: a user-assigned managed identity that trusts the tokens
the AKS OIDC issuer signs for that ServiceAccount. No secret exists anywhere: the pod exchanges its projected token.

prod only: imports `pulumi_azure_native` submodules. Key Vault readers and Loki's blob writer use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import managedidentity

from infra.azure import service_account_subject
from infra.cluster.handle import AzureScope

TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"  # noqa: S105 - an audience, not a credential
CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id"
"""On the ServiceAccount: which identity its tokens are exchanged for."""
USE_LABEL = "azure.workload.identity/use"
"""On the pod (`"true"`): the workload identity webhook injects the token file and the client and tenant ids."""


@dataclass(frozen=True)
class WorkloadIdentity:
    identity: managedidentity.UserAssignedIdentity
    """Grant roles to `identity.principal_id`; annotate the ServiceAccount with `identity.client_id`."""
    federation: managedidentity.FederatedIdentityCredential
    """Tokens are accepted once this exists: a pod using the identity waits for it."""


def workload_identity(
    name: str,
    *,
    azure: AzureScope,
    namespace: str,
    service_account: str,
    opts: pulumi.ResourceOptions,
    tags: Mapping[str, str] | None = None,
) -> WorkloadIdentity:
    """`<name>-identity` and `<name>-federation`, for `namespace/service_account`."""
    identity = managedidentity.UserAssignedIdentity(
        f"{name}-identity",
        resource_group_name=azure.resource_group_name,
        location=azure.location,
        tags=dict(tags) if tags is not None else None,
        opts=opts,
    )
    federation = managedidentity.FederatedIdentityCredential(
        f"{name}-federation",
        resource_group_name=azure.resource_group_name,
        resource_name_=identity.name,
        issuer=azure.oidc_issuer_url,
        subject=service_account_subject(namespace, service_account),
        audiences=[TOKEN_EXCHANGE_AUDIENCE],
        opts=opts,
    )
    return WorkloadIdentity(identity=identity, federation=federation)
