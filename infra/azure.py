"""Azure facts the platform relies on: the built-in roles it grants, how a role assignment names them, and how a
workload identity is named and requested. No resources and no Azure SDK here, so the dev path may import it."""

from __future__ import annotations

import pulumi

# Built-in role "AcrPull": pull images from a registry, nothing else.
ACR_PULL = "7f951dda-4ed3-4680-a7ca-43fe172d538d"
# Built-in role "Key Vault Secrets User": read secret contents, nothing else.
KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
# Built-in role "Storage Blob Data Contributor": read, write and delete blobs (Loki's chunks).
STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
# Built-in role "Azure Kubernetes Service RBAC Cluster Admin" (local accounts are disabled: Entra ID + Azure RBAC).
AKS_RBAC_CLUSTER_ADMIN_ROLE = "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b"
ROLE_NAMES = {
    ACR_PULL: "AcrPull",
    KEY_VAULT_SECRETS_USER: "Key Vault Secrets User",
    STORAGE_BLOB_DATA_CONTRIBUTOR: "Storage Blob Data Contributor",
    AKS_RBAC_CLUSTER_ADMIN_ROLE: "Azure Kubernetes Service RBAC Cluster Admin",
}
"""The built-in roles above by the name Azure shows (for documentation)."""


def role_definition_id(subscription_id: pulumi.Input[str], role: str) -> pulumi.Output[str]:
    """The id of a built-in role as role assignments want it: qualified by the subscription."""
    return pulumi.Output.concat(
        "/subscriptions/", subscription_id, "/providers/Microsoft.Authorization/roleDefinitions/", role
    )


def service_account_subject(namespace: str, service_account: str) -> str:
    """The subject a federated identity credential trusts: tokens AKS issues to this ServiceAccount."""
    return f"system:serviceaccount:{namespace}:{service_account}"


# Workload identity (the AKS add-on's webhook): tokens are exchanged for this audience; the ServiceAccount names the
# identity and the pod opts in with the label, which makes the webhook inject the token file and the ids.
TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"  # noqa: S105 - an audience, not a credential
CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id"
USE_LABEL = "azure.workload.identity/use"
