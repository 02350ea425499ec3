"""The client identity crosses three layers: config names the keys, the gateway forwards the authenticated key's
name in a header, the service budgets and labels by it. They must agree on the header and on what a name is.

Guards a silent failure: a gateway forwarding `x-client-id` while the service reads `x-prompt2prod-client` would
refuse every cloud generation with 403; a config name the service finds malformed would do the same for that
client alone.
"""

from __future__ import annotations

import pytest

from app.budget import CLIENT_HEADER, CLIENT_NAME, MAX_CLIENTS
from infra import topology
from infra.config.gateway import CLIENT_NAME_PATTERN, MAX_API_CLIENTS
from tests.support import RenderStack


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_gateway_forwards_the_header_the_service_reads(stack: str, render_stack: RenderStack) -> None:
    policy = render_stack(stack).named("gateway-auth").inputs["spec"]["apiKeyAuth"]
    assert policy["clientIdHeader"] == topology.CLIENT_HEADER == CLIENT_HEADER
    assert policy["keySources"] == [{"header": topology.API_KEY_HEADER}]
    assert policy["forwardCredential"] is False


def test_every_configurable_client_name_is_one_the_service_accepts_and_labels() -> None:
    assert CLIENT_NAME.pattern == CLIENT_NAME_PATTERN
    assert MAX_API_CLIENTS + 1 <= MAX_CLIENTS  # `verify` comes on top of the configured clients
