"""What the internet can reach, decided by Gateway API route matching over each render's own objects.

Guards the public surface: the LLM host forwarded `PathPrefix /` to Ollama (one `DELETE /api/delete` removed the model
and took the whole API down), the generator had no authentication and `/metrics` was public. For every public host,
listener, method and every value (or absence) of `x-llm-mode`, the rule that wins (`policy.gateway_api`) must not
forward Ollama's state-changing API or `/metrics`; every rule that does forward to the generator or Ollama must
be behind the gateway's API-key policy; Grafana, the one route without it, must keep its own login.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from infra import topology
from infra.render import RenderResult
from policy.gateway_api import Request, RouteMatch, authentication, route_request
from policy.rules import Resource, as_mapping, resources_of
from tests.support import RenderStack, stack_config

OLLAMA_STATE_CHANGING = [
    "/api/pull",
    "/api/push",
    "/api/create",
    "/api/copy",
    "/api/delete",
    "/api/blobs/sha256:29fdb92e57cf0827ded04ae6461b5931d01fa595843f55d36f5b275a52087dd2",
]
METRICS = ["/metrics", "/metrics/", "/metrics?name[]=up"]
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"]
MODES: list[tuple[tuple[str, str], ...]] = [
    (),
    (("x-llm-mode", "local"),),
    (("x-llm-mode", "cloud"),),
    (("x-llm-mode", "CLOUD"),),
    (("x-llm-mode", "foo"),),
    (("x-llm-mode", ""),),
    (("x-llm-mode", "cloud"), ("x-llm-mode", "local")),
]
API_BACKENDS = {topology.GENERATOR_SERVICE, topology.GENERATOR_CANARY_SERVICE, topology.OLLAMA_SERVICE}


def public_hosts_and_ports(stack: str) -> list[tuple[str, int]]:
    gateway = stack_config(stack).platform.gateway
    ports = [80] if gateway.tls == "none" else [80, 443]
    return [(host, port) for host in gateway.hostnames for port in ports]


def resources(result: RenderResult) -> list[Resource]:
    return resources_of(result.document())


def outcome(match: RouteMatch | None) -> str:
    if match is None:
        return "404"
    if match.outcome != "forward":
        return match.outcome
    return "forward to " + ",".join(str(ref["name"]) for ref in match.backends)


@pytest.mark.parametrize("stack", ["dev", "prod"])
@pytest.mark.parametrize(
    ("paths", "forbidden_backends"),
    [(OLLAMA_STATE_CHANGING, {topology.OLLAMA_SERVICE}), (METRICS, None)],
    ids=["ollama-state-changing-to-ollama", "metrics-to-anything"],
)
def test_no_public_host_forwards_forbidden_paths_whatever_the_headers(
    stack: str, paths: list[str], forbidden_backends: set[str] | None, render_stack: RenderStack
) -> None:
    objects = resources(render_stack(stack))
    forwarded = []
    for (host, port), path, method, headers in itertools.product(public_hosts_and_ports(stack), paths, METHODS, MODES):
        match = route_request(objects, Request(host=host, path=path, method=method, headers=headers, port=port))
        if match is None or match.outcome != "forward":
            continue
        if forbidden_backends is None or {str(ref["name"]) for ref in match.backends} & forbidden_backends:
            forwarded.append(f"{method} {host}:{port}{path} {dict(headers)} -> {outcome(match)}")
    assert not forwarded, "\n".join(forwarded)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_forward_to_the_generator_or_ollama_is_authenticated(stack: str, render_stack: RenderStack) -> None:
    objects = resources(render_stack(stack))
    paths = [
        "/",
        "/generate",
        "/models",
        "/health",
        "/ready",
        "/api/chat",
        "/api/generate",
        "/api/tags",
        "/api/show",
        "/v1/chat/completions",
        "/v1/models/llama3.2:3b",
        "/docs",
        "/openapi.json",
    ]
    unauthenticated = []
    reached = set()
    for (host, port), path, method, headers in itertools.product(public_hosts_and_ports(stack), paths, METHODS, MODES):
        match = route_request(objects, Request(host=host, path=path, method=method, headers=headers, port=port))
        if match is None or match.outcome != "forward":
            continue
        names = {str(ref["name"]) for ref in match.backends}
        if names & API_BACKENDS:
            reached |= names
            if authentication(objects, match.route) != "api-auth.apiKeyAuth":
                unauthenticated.append(f"{method} {host}{path} -> {names}")
    assert not unauthenticated, unauthenticated
    assert reached >= {topology.GENERATOR_SERVICE, topology.OLLAMA_SERVICE}


@pytest.mark.parametrize(
    ("host", "method", "path", "headers", "expected"),
    [
        ("generator", "POST", "/generate", (), "forward to generator"),
        ("generator", "GET", "/models", (), "forward to generator"),
        ("generator", "GET", "/health", (), "forward to generator"),
        ("generator", "GET", "/metrics", (), "404"),
        ("generator", "GET", "/docs", (), "404"),
        ("llm", "POST", "/generate", (("x-llm-mode", "cloud"),), "forward to generator"),
        ("llm", "POST", "/generate", (("x-llm-mode", "local"),), "404"),
        ("llm", "POST", "/api/chat", (("x-llm-mode", "cloud"),), "forward to ollama"),
        ("llm", "POST", "/v1/chat/completions", (), "forward to ollama"),
        ("llm", "GET", "/v1/models/llama3.2:3b", (), "forward to ollama"),
        ("llm", "GET", "/v1/modelsx", (), "404"),
        ("llm", "DELETE", "/api/delete", (), "404"),
        ("grafana", "GET", "/d/prompt2prod-overview", (), "forward to grafana"),
        ("grafana", "GET", "/metrics", (), "direct-response"),
    ],
)
def test_what_wins_for_typical_requests(
    host: str, method: str, path: str, headers: tuple[tuple[str, str], ...], expected: str, render_stack: RenderStack
) -> None:
    gateway = stack_config("prod").platform.gateway
    hostname = {
        "generator": gateway.generator_hostname,
        "llm": gateway.llm_hostname,
        "grafana": gateway.grafana_hostname,
    }
    objects = resources(render_stack("prod"))
    match = route_request(objects, Request(host=hostname[host], path=path, method=method, headers=headers, port=443))
    assert outcome(match) == expected
    plain = route_request(objects, Request(host=hostname[host], path=path, method=method, headers=headers, port=80))
    assert outcome(plain) == "redirect"


def _grafana_ini(result: RenderResult) -> dict[str, Any]:
    [release] = [
        r
        for r in result.document()["resources"]
        if r["type"] == "kubernetes:helm.sh/v3:Release" and r["inputs"].get("chart") == "kube-prometheus-stack"
    ]
    return dict(as_mapping(as_mapping(as_mapping(release["inputs"]["values"]).get("grafana")).get("grafana.ini")))


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_grafana_the_one_route_without_a_key_keeps_its_own_login(stack: str, render_stack: RenderStack) -> None:
    result = render_stack(stack)
    objects = resources(result)
    host = stack_config(stack).platform.gateway.grafana_hostname
    port = 80 if stack == "dev" else 443
    match = route_request(objects, Request(host=host, path="/login", port=port))
    assert match is not None
    assert outcome(match) == "forward to grafana"
    assert authentication(objects, match.route) is None
    ini = _grafana_ini(result)
    assert ini["auth.anonymous"] == {"enabled": False}
    assert ini["users"]["allow_sign_up"] is False
    assert ini["auth"]["disable_login_form"] is False
