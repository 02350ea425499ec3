"""Role assignments name Azure's built-in roles by their fixed ids, qualified by the subscription.

Guards: a typo in a role GUID (the assignment fails, or grants another role) and an unqualified role id.
"""

from __future__ import annotations

import pulumi

from infra import azure
from tests.support.render import render_component


def test_built_in_role_ids_are_azures() -> None:
    # From Azure's built-in roles reference; these ids are the same in every tenant.
    assert azure.ACR_PULL == "7f951dda-4ed3-4680-a7ca-43fe172d538d"
    assert azure.KEY_VAULT_SECRETS_USER == "4633458b-17de-408a-b874-0445c86b69e6"


def test_role_definition_id_is_qualified_by_the_subscription() -> None:
    result = render_component(
        lambda _: {"id": azure.role_definition_id(pulumi.Output.from_input("sub-1"), azure.ACR_PULL)}, stack="prod"
    )
    assert result.outputs["id"] == (
        "/subscriptions/sub-1/providers/Microsoft.Authorization/roleDefinitions/7f951dda-4ed3-4680-a7ca-43fe172d538d"
    )
