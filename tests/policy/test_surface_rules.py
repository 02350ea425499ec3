"""The policy pack's public-surface rules: both renders pass; each way of exposing too much is caught.

Broken inputs are the mistakes a review of the public surface found or could come back: the LLM host's `PathPrefix /` to
Ollama, a generator route without a key, `/metrics` served publicly, an auth policy disabled on a route, and ways around
a path allow-list (a rewrite or a mirror to Ollama, a regular expression).
"""

from __future__ import annotations

from typing import Any

import pytest

from policy.rules import Resource, resources_of
from policy.stack_rules import STACK_RULES
from policy.surface_rules import no_public_metrics, no_public_ollama_admin_api, public_route_authenticated
from tests.support import RenderStack

SURFACE_RULES = ("public-route-authenticated", "no-public-ollama-admin-api", "no-public-metrics")
OLLAMA = {"name": "ollama", "namespace": "llm", "port": 11434}
GENERATOR = {"name": "generator", "namespace": "generator", "port": 8000}
EVERYTHING = {"path": {"type": "PathPrefix", "value": "/"}}


def gateway() -> Resource:
    spec = {"listeners": [{"name": "http", "protocol": "HTTP", "port": 80}]}
    return Resource(
        "kubernetes:gateway.networking.k8s.io/v1:Gateway",
        "gw",
        "urn:gw",
        {"metadata": {"name": "public", "namespace": "gateway"}, "spec": spec},
    )


def route(name: str, *rules: dict[str, Any], annotations: dict[str, str] | None = None) -> Resource:
    metadata: dict[str, Any] = {"name": name, "namespace": "gateway", "annotations": annotations or {}}
    spec = {"parentRefs": [{"name": "public"}], "hostnames": [f"{name}.example.com"], "rules": list(rules)}
    return Resource(
        "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
        name,
        f"urn:route-{name}",
        {"metadata": metadata, "spec": spec},
    )


def auth(*route_names: str, **api_key_auth: Any) -> Resource:
    settings = api_key_auth or {"secretRef": {"name": "api-keys"}}
    spec = {"targetRefs": [{"kind": "HTTPRoute", "name": n} for n in route_names], "apiKeyAuth": settings}
    return Resource(
        "kubernetes:gateway.kgateway.dev/v1alpha1:TrafficPolicy",
        f"auth-{'-'.join(route_names)}",
        f"urn:auth-{'-'.join(route_names)}",
        {"metadata": {"name": "api-auth", "namespace": "gateway"}, "spec": spec},
    )


def forward(backend: dict[str, Any], *matches: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"matches": list(matches) or [EVERYTHING], "backendRefs": [backend], **extra}


def exact(method: str, path: str) -> dict[str, Any]:
    return {"method": method, "path": {"type": "Exact", "value": path}}


NOT_FOUND = {
    "type": "ExtensionRef",
    "extensionRef": {"group": "gateway.kgateway.dev", "kind": "DirectResponse", "name": "nf"},
}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_both_renders_pass_the_surface_rules(stack: str, render_stack: RenderStack) -> None:
    resources = resources_of(render_stack(stack).document())
    assert {name: STACK_RULES[name](resources) for name in SURFACE_RULES} == {name: [] for name in SURFACE_RULES}


def test_the_old_catch_all_llm_route_fails_every_surface_rule() -> None:
    old = route(
        "llm",
        forward(GENERATOR, {**EVERYTHING, "headers": [{"type": "Exact", "name": "x-llm-mode", "value": "cloud"}]}),
        forward(OLLAMA),
    )
    resources = [gateway(), old]
    assert [urn for urn, _ in public_route_authenticated(resources)] == ["urn:route-llm"]
    [(_, message)] = no_public_ollama_admin_api(resources)
    assert "/api/pull, /api/push, /api/create, /api/copy, /api/delete, /api/blobs" in message
    assert len(no_public_metrics(resources)) == 2  # both rules forward /metrics


def test_an_allow_listed_authenticated_llm_route_passes() -> None:
    llm = route(
        "llm",
        forward(
            OLLAMA, exact("POST", "/api/chat"), {"method": "GET", "path": {"type": "PathPrefix", "value": "/v1/models"}}
        ),
    )
    resources = [gateway(), llm, auth("llm")]
    assert (
        public_route_authenticated(resources)
        == no_public_ollama_admin_api(resources)
        == no_public_metrics(resources)
        == []
    )


@pytest.mark.parametrize(
    "settings",
    [{"disable": {}}, {}],
    ids=["disabled", "empty"],
)
def test_an_auth_policy_that_disables_or_configures_nothing_does_not_count(settings: dict[str, Any]) -> None:
    generator = route("gen", forward(GENERATOR, exact("POST", "/generate")))
    resources = [gateway(), generator, auth("gen")]
    broken = Resource(
        "kubernetes:gateway.kgateway.dev/v1alpha1:TrafficPolicy",
        "off",
        "urn:off",
        {
            "metadata": {"name": "off", "namespace": "gateway"},
            "spec": {"targetRefs": [{"kind": "HTTPRoute", "name": "gen"}], "apiKeyAuth": settings},
        },
    )
    expected = 1 if settings else 0  # an empty apiKeyAuth adds nothing, the real one still covers the route
    assert len(public_route_authenticated([*resources, broken])) == expected
    assert len(public_route_authenticated([gateway(), generator, broken])) == 1


def test_a_policy_in_another_namespace_or_on_another_route_does_not_cover() -> None:
    generator = route("gen", forward(GENERATOR, exact("POST", "/generate")))
    elsewhere = auth("gen")
    elsewhere = Resource(
        elsewhere.type,
        elsewhere.name,
        elsewhere.urn,
        {**elsewhere.inputs, "metadata": {"name": "a", "namespace": "other"}},
    )
    assert len(public_route_authenticated([gateway(), generator, elsewhere, auth("llm")])) == 1


def test_a_gateway_wide_policy_covers_its_routes() -> None:
    generator = route("gen", forward(GENERATOR, exact("POST", "/generate")))
    policy = Resource(
        "kubernetes:gateway.kgateway.dev/v1alpha1:TrafficPolicy",
        "gw-auth",
        "urn:gw-auth",
        {
            "metadata": {"name": "gw-auth", "namespace": "gateway"},
            "spec": {
                "targetRefs": [{"kind": "Gateway", "name": "public"}],
                "basicAuth": {"secretRef": {"name": "users"}},
            },
        },
    )
    assert public_route_authenticated([gateway(), generator, policy]) == []


def test_a_route_not_attached_to_a_gateway_is_not_public() -> None:
    detached = route("internal", forward(OLLAMA))
    detached.inputs["spec"]["parentRefs"] = [{"name": "mesh-internal"}]
    assert public_route_authenticated([gateway(), detached]) == no_public_ollama_admin_api([gateway(), detached]) == []


def test_a_waived_route_needs_no_key_but_a_short_reason_is_no_waiver() -> None:
    reason = "Grafana authenticates every user itself"
    waived = route(
        "grafana", forward(GENERATOR), annotations={"policy.prompt2prod.io/skip-public-route-authenticated": reason}
    )
    assert public_route_authenticated([gateway(), waived]) == []
    unexplained = route(
        "grafana", forward(GENERATOR), annotations={"policy.prompt2prod.io/skip-public-route-authenticated": "ok"}
    )
    assert len(public_route_authenticated([gateway(), unexplained])) == 1


@pytest.mark.parametrize(
    "rule",
    [
        forward(OLLAMA, exact("DELETE", "/api/delete")),
        forward(OLLAMA, {"path": {"type": "PathPrefix", "value": "/api"}}),
        forward(OLLAMA, {"path": {"type": "PathPrefix", "value": "/api/blobs/sha256:abc"}}),
        forward(OLLAMA, {"path": {"type": "RegularExpression", "value": "/api/(chat|generate)"}}),
        forward(
            OLLAMA,
            exact("POST", "/api/chat"),
            filters=[
                {
                    "type": "URLRewrite",
                    "urlRewrite": {"path": {"type": "ReplaceFullPath", "replaceFullPath": "/api/delete"}},
                }
            ],
        ),
        forward(GENERATOR, filters=[{"type": "RequestMirror", "requestMirror": {"backendRef": OLLAMA}}]),
    ],
    ids=["exact-delete", "prefix-api", "below-blobs", "regex", "rewrite", "mirror"],
)
def test_ways_to_reach_ollama_state_changing_api_are_caught(rule: dict[str, Any]) -> None:
    assert len(no_public_ollama_admin_api([gateway(), route("llm", rule), auth("llm")])) == 1


def test_routes_to_other_services_may_use_api_paths() -> None:
    assert (
        no_public_ollama_admin_api(
            [gateway(), route("gen", forward(GENERATOR, {"path": {"type": "PathPrefix", "value": "/api"}}))]
        )
        == []
    )


@pytest.mark.parametrize(
    ("rules", "violations"),
    [
        ([forward(GENERATOR)], 1),
        ([forward(GENERATOR, exact("GET", "/metrics"))], 1),
        ([forward(GENERATOR, {"path": {"type": "PathPrefix", "value": "/metrics/"}})], 1),
        (
            [
                {"matches": [{"path": {"type": "PathPrefix", "value": "/metrics"}}], "filters": [NOT_FOUND]},
                forward(GENERATOR),
            ],
            0,
        ),
        # A conditional shield: a request without the header reaches the catch-all.
        (
            [
                {
                    "matches": [
                        {"path": {"type": "PathPrefix", "value": "/metrics"}, "headers": [{"name": "x", "value": "1"}]}
                    ],
                    "filters": [NOT_FOUND],
                },
                forward(GENERATOR),
            ],
            1,
        ),
        # A shield that covers only `/metrics` itself, not what lies below it.
        (
            [
                {"matches": [{"path": {"type": "Exact", "value": "/metrics"}}], "filters": [NOT_FOUND]},
                forward(GENERATOR),
            ],
            1,
        ),
        ([forward(GENERATOR, exact("POST", "/generate"), {"path": {"type": "PathPrefix", "value": "/metricsx"}})], 0),
    ],
    ids=["catch-all", "exact", "prefix", "shielded", "conditional-shield", "exact-shield", "look-alike"],
)
def test_public_metrics_are_caught_unless_always_answered_by_the_gateway(
    rules: list[dict[str, Any]], violations: int
) -> None:
    assert len(no_public_metrics([gateway(), route("gen", *rules), auth("gen")])) == violations
