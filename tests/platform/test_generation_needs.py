"""What publishing and the checks need of the platform. `POST /publish` through the gateway, as a client meets
it: routed to the generator on its host, behind the API key, with a body limit that admits every project the
generator accepts (a prompt's 1 MiB would refuse most). The generator pod has room for the checks' tools and reaps
what it kills.

Guards: the publish endpoint missing from the allow-list (the gateway's 404 for every publish), published under the
prompt routes' body limit (413 for any real project), or reachable without a key; killed check tools left as
zombies; checkov killed for memory.
"""

from __future__ import annotations

import pytest

from app.routers.publish import PUBLISH_BODY_BYTES as SERVICE_PUBLISH_BODY_BYTES
from infra import topology
from infra.gateway.routes import PUBLISH_BODY_BYTES
from policy.gateway_api import Request, authentication, route_request
from policy.rules import resources_of
from tests.support import RenderStack, serving_port, stack_config
from tests.support.platform import LoadStack
from tests.support.platform.model import generator_container, pod_template


def test_the_gateway_admits_the_body_the_generator_reads() -> None:
    assert PUBLISH_BODY_BYTES == SERVICE_PUBLISH_BODY_BYTES


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_publish_reaches_the_generator_behind_the_key_with_its_own_body_limit(
    stack: str, render_stack: RenderStack
) -> None:
    objects = resources_of(render_stack(stack).document())
    host = stack_config(stack).platform.gateway.generator_hostname
    port = serving_port(stack)

    match = route_request(objects, Request(host=host, path="/publish", method="POST", port=port))
    assert match is not None
    assert match.outcome == "forward"
    assert {str(ref["name"]) for ref in match.backends} == {topology.GENERATOR_SERVICE}
    assert authentication(objects, match.route) == "api-auth.apiKeyAuth"
    assert route_request(objects, Request(host=host, path="/publish", method="GET", port=port)) is None

    limits = {
        str(o.inputs["metadata"]["name"]): o.inputs["spec"]
        for o in objects
        if o.kind == "TrafficPolicy" and o.inputs["metadata"]["name"] in ("api-limits", "publish-limits")
    }
    targets = {name: [ref["name"] for ref in spec["targetRefs"]] for name, spec in limits.items()}
    assert targets == {"api-limits": ["generator", "llm"], "publish-limits": ["publish"]}
    assert limits["publish-limits"]["buffer"] == {"maxRequestSize": str(PUBLISH_BODY_BYTES)}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_generator_pod_can_run_the_checks_and_reap_their_tools(stack: str, stack_render: LoadStack) -> None:
    """The checks kill a hung tool's process group; only a shared process namespace puts a reaper (the pause
    process) at PID 1 for its orphans. checkov alone takes about 190 MB beside the service's 75 MB."""
    render = stack_render(stack)
    assert pod_template(render.one("Deployment", "generator", "generator"))["spec"]["shareProcessNamespace"] is True
    assert generator_container(render)["resources"]["limits"]["memory"] == "1Gi"
