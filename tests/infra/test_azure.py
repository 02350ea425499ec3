"""Role assignments name Azure's built-in roles qualified by the subscription (which role goes where:
tests/stacks/test_prod.py).

Guards an unqualified role id, which Azure refuses at `pulumi up`.
"""

from __future__ import annotations

import pulumi

from infra import azure
from tests.support.render import render_component


def test_role_definition_id_is_qualified_by_the_subscription() -> None:
    result = render_component(
        lambda _: {"id": azure.role_definition_id(pulumi.Output.from_input("sub-1"), azure.ACR_PULL)}, stack="prod"
    )
    assert result.outputs["id"] == (
        "/subscriptions/sub-1/providers/Microsoft.Authorization/roleDefinitions/7f951dda-4ed3-4680-a7ca-43fe172d538d"
    )
