"""Generated apps on the public Gateway, decided by Gateway API route matching (`policy.gateway_api`) over each
render hosting one app (the scaffold's `deploy/` manifests), and by the render's own objects
(`tests.support.platform.routing`).

Guards: a request for `<app>.<appsDomain>` landing on the generator (or a platform route answering there); a
generated app taking over a platform host by claiming its name or attaching to the platform's listeners; the API key
policy (meant for the platform's API) covering the apps, which are their users' public sites; and the `apps`
listener admitting routes from namespaces other than `apps`.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import pytest

from app.settings import Settings
from infra import topology
from infra.contract.apps import SAMPLE_APP, app_hostname, app_route
from policy.gateway_api import Request, RouteMatch, authentication, route_request
from policy.rules import Resource, resources_of
from tests.support import RenderStack, serving_port, stack_config
from tests.support.platform import LoadStack
from tests.support.platform.apps import hosting_an_app, scaffolded_app
from tests.support.platform.routing import route_problems

PLATFORM_BACKENDS = {
    topology.GENERATOR_SERVICE,
    topology.GENERATOR_CANARY_SERVICE,
    topology.OLLAMA_SERVICE,
    topology.GRAFANA_SERVICE,
}
PATHS = ["/", "/generate", "/models", "/health", "/metrics", "/api/chat", "/v1/chat/completions", "/d/overview"]
METHODS = ["GET", "POST", "DELETE"]


def as_resource(manifest: Mapping[str, Any]) -> Resource:
    meta = manifest["metadata"]
    name = f"{meta['namespace']}-{meta['name']}-{manifest['kind'].lower()}"
    return Resource(f"kubernetes:{manifest['apiVersion']}:{manifest['kind']}", name, f"urn:app:{name}", manifest)


def with_apps(stack: str, render_stack: RenderStack, *manifests: Mapping[str, Any]) -> list[Resource]:
    """The stack's resources, the sample app's objects and any `manifests` (more app objects), as the pack sees them."""
    # The scaffold's own manifests, for the apps domain the stack gives the generator (test_generated_apps.py checks
    # that the rendered generator is told exactly that, and the rest of its defaults).
    settings = Settings(apps_domain=stack_config(stack).platform.apps_domain)
    objects = [*scaffolded_app(SAMPLE_APP, settings), *manifests]
    return [*resources_of(render_stack(stack).document()), *(as_resource(o) for o in objects)]


def backends(match: RouteMatch | None) -> set[str]:
    if match is None or match.outcome != "forward":
        return set()
    return {str(ref["name"]) for ref in match.backends}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_an_app_host_reaches_its_app_and_never_the_platform(stack: str, render_stack: RenderStack) -> None:
    objects = with_apps(stack, render_stack)
    apps_domain = stack_config(stack).platform.apps_domain
    port = serving_port(stack)
    for path, method in itertools.product(PATHS, METHODS):
        request = Request(host=app_hostname(SAMPLE_APP, apps_domain), path=path, method=method, port=port)
        match = route_request(objects, request)
        assert backends(match) == {SAMPLE_APP}, f"{method} {path}"
        assert match is not None
        assert match.route.namespace == topology.NAMESPACE_APPS
    # An app nobody deployed: the gateway answers 404 itself; no platform route stands in for it.
    for path in PATHS:
        assert route_request(objects, Request(host=f"ghost.{apps_domain}", path=path, port=port)) is None


def test_prod_redirects_plain_http_for_apps_too(render_stack: RenderStack) -> None:
    objects = with_apps("prod", render_stack)
    host = app_hostname(SAMPLE_APP, stack_config("prod").platform.apps_domain)
    match = route_request(objects, Request(host=host, path="/", port=80))
    assert match is not None
    assert match.outcome == "redirect"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_an_app_claiming_the_platform_hosts_never_receives_their_requests(
    stack: str, render_stack: RenderStack
) -> None:
    gateway = stack_config(stack).platform.gateway
    hijack = app_route("hijack", stack_config(stack).platform.apps_domain)
    hijack["spec"]["hostnames"] = gateway.hostnames
    everywhere = app_route("everywhere", stack_config(stack).platform.apps_domain)
    everywhere["spec"]["hostnames"] = gateway.hostnames
    del everywhere["spec"]["parentRefs"][0]["sectionName"]
    objects = with_apps(stack, render_stack, hijack, everywhere)
    reached = [
        f"{method} {host}:{port}{path} -> {backends(match)}"
        for host, port, path, method in itertools.product(gateway.hostnames, (80, 443), PATHS, METHODS)
        if (match := route_request(objects, Request(host=host, path=path, method=method, port=port))) is not None
        and match.route.namespace == topology.NAMESPACE_APPS
    ]
    assert reached == []
    # The generator's API still answers on its own host.
    generate = Request(host=gateway.generator_hostname, path="/generate", method="POST", port=serving_port(stack))
    assert backends(route_request(objects, generate)) == {topology.GENERATOR_SERVICE}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_apps_are_public_sites_outside_the_api_key(stack: str, render_stack: RenderStack) -> None:
    objects = with_apps(stack, render_stack)
    (route,) = [r for r in objects if r.kind == "HTTPRoute" and r.namespace == topology.NAMESPACE_APPS]
    assert authentication(objects, route) is None
    # The platform's API routes keep theirs: the check tells the two apart.
    (generator,) = [r for r in objects if r.kind == "HTTPRoute" and r.metadata.get("name") == "generator"]
    assert authentication(objects, generator) == "api-auth.apiKeyAuth"


def test_an_api_key_policy_on_the_whole_gateway_would_cover_the_apps(render_stack: RenderStack) -> None:
    """Guards the check above: attaching `api-auth` to the Gateway (instead of naming routes) locks every app."""
    objects = with_apps("dev", render_stack)
    (policy,) = [r for r in objects if r.kind == "TrafficPolicy" and r.metadata.get("name") == "api-auth"]
    on_gateway = {**policy.inputs["spec"], "targetRefs": [{"kind": "Gateway", "name": topology.GATEWAY_NAME}]}
    moved = Resource(policy.type, policy.name, policy.urn, {**policy.inputs, "spec": on_gateway})
    objects = [moved if r is policy else r for r in objects]
    (route,) = [r for r in objects if r.kind == "HTTPRoute" and r.namespace == topology.NAMESPACE_APPS]
    assert authentication(objects, route) == "api-auth.apiKeyAuth"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_apps_listener_admits_the_apps_route_and_its_service(stack: str, stack_render: LoadStack) -> None:
    assert route_problems(hosting_an_app(stack_render(stack))) == []


def test_an_app_route_outside_the_apps_namespace_is_not_admitted(stack_render: LoadStack) -> None:
    def move(render: Any) -> None:
        for kind in ("HTTPRoute", "Service", "Deployment"):
            render.one(kind, topology.NAMESPACE_APPS, SAMPLE_APP)["metadata"]["namespace"] = topology.NAMESPACE_LLM

    broken = hosting_an_app(stack_render("prod")).broken(move)
    assert route_problems(broken) == [f"HTTPRoute {SAMPLE_APP}: listener apps does not select namespace llm"]
