"""Role assignments name Azure's built-in roles by their fixed ids, qualified by the subscription.

Guards: a typo in a role GUID (the assignment fails, or grants another role) and an unqualified role id.
"""

from __future__ import annotations

from typing import Any

import pulumi

from infra import azure
from infra.render import run_program
from tests.support import stack_input


def test_built_in_role_ids_are_azures() -> None:
    # From Azure's built-in roles reference; these ids are the same in every tenant.
    assert azure.ACR_PULL == "7f951dda-4ed3-4680-a7ca-43fe172d538d"
    assert azure.KEY_VAULT_SECRETS_USER == "4633458b-17de-408a-b874-0445c86b69e6"


def test_role_definition_id_is_qualified_by_the_subscription() -> None:
    def program() -> dict[str, pulumi.Output[Any]]:
        return {"id": azure.role_definition_id(pulumi.Output.from_input("sub-1"), azure.ACR_PULL)}

    given = stack_input("prod")
    result = run_program("prod", given.values, given.secret_keys, program=program)
    assert result.outputs["id"] == (
        "/subscriptions/sub-1/providers/Microsoft.Authorization/roleDefinitions/7f951dda-4ed3-4680-a7ca-43fe172d538d"
    )
