"""Azure built-in roles the platform grants, and how a role assignment names them. No resources here."""

from __future__ import annotations

import pulumi

# Built-in role "AcrPull": pull images from a registry, nothing else.
ACR_PULL = "7f951dda-4ed3-4680-a7ca-43fe172d538d"
# Built-in role "Key Vault Secrets User": read secret contents, nothing else.
KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"


def role_definition_id(subscription_id: pulumi.Input[str], role: str) -> pulumi.Output[str]:
    """The id of a built-in role as role assignments want it: qualified by the subscription."""
    return pulumi.Output.concat(
        "/subscriptions/", subscription_id, "/providers/Microsoft.Authorization/roleDefinitions/", role
    )
