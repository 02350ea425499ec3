"""The routing promises of the public gateway, checked on the pure spec builders (no Pulumi involved).

Guards: `x-llm-mode` matches are Exact (a prefix/regex match would send `cloudy` to the cloud); cloud generations on
the LLM host reach the generator, Ollama's API the local Ollama; only allow-listed endpoints are routed; the canary
gets exactly its configured share; with TLS on nothing is served over plain HTTP except a redirect; every
cross-namespace backend has a ReferenceGrant in its namespace; the API routes carry the API-key policy.
"""

from __future__ import annotations

import pytest

from infra import topology
from infra.config.gateway import CanaryConfig, GatewayConfig
from infra.config.generator import GeneratorConfig
from infra.contract.budgets import GenerationBudget
from infra.gateway.routes import (
    API_ROUTES,
    OLLAMA_PUBLIC_API,
    auth_policy_spec,
    gateway_spec,
    generator_backends,
    limits_policy_spec,
    reference_grant_specs,
    route_specs,
)
from policy.gateway_api import Request, route_request
from policy.rules import Resource

CANARY = CanaryConfig(enabled=True, image_tag="0.2.0", weight=25)
BUDGET = GenerationBudget.from_config(GeneratorConfig())
APPS_DOMAIN = "apps.example.com"


def gateway_objects(config: GatewayConfig) -> list[Resource]:
    """The Gateway and the routes as the policy pack sees them in a render."""
    objects: list[Resource] = [
        Resource(
            "kubernetes:gateway.networking.k8s.io/v1:Gateway",
            "gateway",
            "urn:gateway",
            {
                "metadata": {"name": topology.GATEWAY_NAME, "namespace": topology.NAMESPACE_GATEWAY},
                "spec": gateway_spec(config, "public-tls" if config.tls != "none" else None, APPS_DOMAIN),
            },
        )
    ]
    objects += [
        Resource(
            "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
            name,
            f"urn:route-{name}",
            {"metadata": {"name": name, "namespace": topology.NAMESPACE_GATEWAY}, "spec": spec},
        )
        for name, spec in route_specs(config, BUDGET, APPS_DOMAIN).items()
    ]
    return objects


def selected_backends(config: GatewayConfig, path: str, method: str, headers: dict[str, str]) -> list[str]:
    """The Services a request to the LLM host reaches, by the Gateway API precedence rules ([] if none)."""
    match = route_request(
        gateway_objects(config),
        Request(host=config.llm_hostname, path=path, method=method, headers=tuple(headers.items())),
    )
    if match is None or match.outcome != "forward":
        return []
    return [str(ref["name"]) for ref in match.backends]


def test_llm_mode_header_matches_are_exact() -> None:
    llm = route_specs(GatewayConfig(), BUDGET, APPS_DOMAIN)["llm"]
    header_matches = [h for rule in llm["rules"] for m in rule["matches"] for h in m.get("headers", [])]
    assert header_matches == [{"type": "Exact", "name": "x-llm-mode", "value": "cloud"}]


@pytest.mark.parametrize(
    ("path", "headers", "backends"),
    [
        ("/api/chat", {}, [topology.OLLAMA_SERVICE]),
        ("/api/chat", {"x-llm-mode": "local"}, [topology.OLLAMA_SERVICE]),
        ("/generate", {"x-llm-mode": "cloud"}, [topology.GENERATOR_SERVICE]),
        ("/generate", {"x-llm-mode": "cloudy"}, []),
        ("/generate", {"x-llm-mode": "Cloud"}, []),
        ("/generate", {}, []),
    ],
    ids=["no-header", "local", "cloud", "cloudy", "Cloud", "generate-without-cloud"],
)
def test_llm_requests_reach_the_backend_of_their_mode(path: str, headers: dict[str, str], backends: list[str]) -> None:
    assert selected_backends(GatewayConfig(), path, "POST", headers) == backends


@pytest.mark.parametrize(("method", "kind", "path"), OLLAMA_PUBLIC_API)
def test_ollama_public_api_reaches_ollama_with_its_method_only(method: str, kind: str, path: str) -> None:
    config = GatewayConfig()
    assert selected_backends(config, path, method, {}) == [topology.OLLAMA_SERVICE]
    other = "DELETE" if method == "GET" else "GET"
    assert selected_backends(config, path, other, {}) == []


def test_api_routes_carry_the_api_key_policy_that_names_the_client_for_the_generator() -> None:
    spec = auth_policy_spec(API_ROUTES, "api-key-secrets")
    assert [ref["name"] for ref in spec["targetRefs"]] == ["generator", "publish", "llm"]
    assert spec["apiKeyAuth"] == {
        "keySources": [{"header": "x-api-key"}],
        "forwardCredential": False,
        "clientIdHeader": "x-prompt2prod-client",
        "secretRef": {"name": "api-key-secrets"},
    }


def test_llm_backends_are_the_topology_services_and_ports() -> None:
    rules = route_specs(GatewayConfig(), BUDGET, APPS_DOMAIN)["llm"]["rules"]
    refs = {(r["namespace"], r["name"], r["port"]) for rule in rules for r in rule["backendRefs"]}
    assert refs == {
        (topology.NAMESPACE_LLM, topology.OLLAMA_SERVICE, topology.OLLAMA_PORT),
        (topology.NAMESPACE_GENERATOR, topology.GENERATOR_SERVICE, topology.GENERATOR_PORT),
    }


def test_canary_gets_its_weight_and_stable_the_rest() -> None:
    weights = {ref["name"]: ref["weight"] for ref in generator_backends(CANARY)}
    assert weights == {topology.GENERATOR_SERVICE: 75, topology.GENERATOR_CANARY_SERVICE: 25}


def test_canary_weights_apply_to_the_generator_host_and_to_cloud_llm_traffic() -> None:
    routes = route_specs(GatewayConfig(canary=CANARY), BUDGET, APPS_DOMAIN)
    for host in ("generator", "llm"):
        weights = {ref["name"]: ref["weight"] for ref in routes[host]["rules"][0]["backendRefs"]}
        assert weights == {"generator": 75, "generator-canary": 25}, host


def test_without_canary_all_generator_traffic_goes_to_the_stable_service() -> None:
    assert [ref["name"] for ref in generator_backends(CanaryConfig())] == [topology.GENERATOR_SERVICE]
    assert "weight" not in generator_backends(CanaryConfig())[0]


def test_each_route_serves_its_own_hostname() -> None:
    config = GatewayConfig(generator_hostname="gen.example.com", llm_hostname="llm.example.com")
    routes = route_specs(config, BUDGET, APPS_DOMAIN)
    assert routes["generator"]["hostnames"] == ["gen.example.com"]
    assert routes["llm"]["hostnames"] == ["llm.example.com"]
    assert routes["grafana"]["hostnames"] == [config.grafana_hostname]
    assert routes["grafana"]["rules"][-1]["backendRefs"][0]["name"] == topology.GRAFANA_SERVICE


def test_without_tls_the_gateway_serves_plain_http_only_and_routes_attach_to_the_http_listener() -> None:
    config = GatewayConfig(tls="none")
    assert [listener["protocol"] for listener in gateway_spec(config, None, APPS_DOMAIN)["listeners"]] == [
        "HTTP",
        "HTTP",
    ]
    routes = route_specs(config, BUDGET, APPS_DOMAIN)
    assert sorted(routes) == ["generator", "grafana", "llm", "publish"]
    assert {route["parentRefs"][0]["sectionName"] for route in routes.values()} == {"http"}


def test_with_tls_the_https_listener_terminates_with_the_secret_and_http_only_redirects() -> None:
    config = GatewayConfig(tls="selfSigned")
    listeners = {
        listener["name"]: listener for listener in gateway_spec(config, "public-tls", APPS_DOMAIN)["listeners"]
    }
    assert listeners["https"]["protocol"] == "HTTPS"
    assert listeners["https"]["port"] == 443
    assert listeners["https"]["tls"] == {
        "mode": "Terminate",
        "certificateRefs": [{"kind": "Secret", "name": "public-tls"}],
    }
    routes = route_specs(config, BUDGET, APPS_DOMAIN)
    on_http = [name for name, route in routes.items() if route["parentRefs"][0]["sectionName"] == "http"]
    assert on_http == ["https-redirect"]
    redirect = routes["https-redirect"]["rules"][0]
    assert redirect["filters"] == [
        {"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}
    ]
    assert "backendRefs" not in redirect
    assert routes["https-redirect"]["hostnames"] == [*config.hostnames, "*.apps.example.com"]


def test_tls_without_a_certificate_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="no certificate Secret"):
        gateway_spec(GatewayConfig(tls="secret"), None, APPS_DOMAIN)


def test_platform_listeners_accept_only_httproutes_from_the_gateway_namespace() -> None:
    listeners = gateway_spec(GatewayConfig(tls="selfSigned"), "public-tls", APPS_DOMAIN)["listeners"]
    for listener in [listener for listener in listeners if listener["name"] != topology.APPS_LISTENER]:
        assert listener["allowedRoutes"] == {
            "namespaces": {"from": "Same"},
            "kinds": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}],
        }


def test_every_cross_namespace_backend_has_a_reference_grant_naming_it() -> None:
    routes = route_specs(GatewayConfig(canary=CANARY), BUDGET, APPS_DOMAIN)
    grants = reference_grant_specs(routes)
    backends = {
        (ref["namespace"], ref["name"])
        for route in routes.values()
        for rule in route["rules"]
        for ref in rule.get("backendRefs", [])
    }
    granted = {(namespace, to["name"]) for namespace, grant in grants.items() for to in grant["to"]}
    assert granted == backends
    assert sorted(grants) == [topology.NAMESPACE_GENERATOR, topology.NAMESPACE_LLM, topology.NAMESPACE_MONITORING]
    for grant in grants.values():
        assert grant["from"] == [
            {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": topology.NAMESPACE_GATEWAY}
        ]


def test_limits_policy_applies_size_and_rate_limits_to_the_api_routes() -> None:
    config = GatewayConfig(max_request_bytes=2048, requests_per_minute=30)
    spec = limits_policy_spec(config, ["generator", "llm"])
    assert [ref["name"] for ref in spec["targetRefs"]] == ["generator", "llm"]
    assert {ref["kind"] for ref in spec["targetRefs"]} == {"HTTPRoute"}
    assert spec["buffer"] == {"maxRequestSize": "2048"}
    assert spec["rateLimit"]["local"]["tokenBucket"] == {"maxTokens": 30, "tokensPerFill": 30, "fillInterval": "60s"}
