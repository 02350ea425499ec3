"""The public gateway under Pulumi mocks: CRD ordering, TLS per environment, secrets kept out of specs, outputs.

Every case renders the real stack program (`stacks.platform` wiring included) for dev or prod with config
overrides, so the ordering checked here is the ordering `pulumi up` gets.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra import topology
from infra.config.gateway import ProxyConfig
from infra.gateway.gateway import gateway_address, gateway_parameters_spec
from infra.render import RenderResult, write_render
from infra.render.manifests import is_kubernetes_object, manifest
from infra.render.mocks import MOCK_GATEWAY_ADDRESS, RecordedResource
from tests.support import RenderStack
from tests.support.crd_schemas import validate_custom_resource

GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
GRANT = "kubernetes:gateway.networking.k8s.io/v1beta1:ReferenceGrant"
POLICY = "kubernetes:gateway.kgateway.dev/v1alpha1:TrafficPolicy"
PARAMETERS = "kubernetes:gateway.kgateway.dev/v1alpha1:GatewayParameters"
DIRECT_RESPONSE = "kubernetes:gateway.kgateway.dev/v1alpha1:DirectResponse"
TLS_SECRETS = {"tlsCertificate": "SPEC-HYGIENE-certificate-9c1d", "tlsPrivateKey": "SPEC-HYGIENE-private-key-4f2a"}


def owned(result: RenderResult, type_token: str) -> list[RecordedResource]:
    """Resources of a type that the Gateway component declares (other components put Secrets and policies too)."""
    return [r for r in result.of_type(type_token) if "prompt2prod:index:Gateway$" in r.urn]


def listener_protocols(result: RenderResult) -> dict[str, str]:
    (gateway,) = result.of_type(GATEWAY)
    return {listener["name"]: listener["protocol"] for listener in gateway.inputs["spec"]["listeners"]}


def custom_resources(result: RenderResult) -> list[RecordedResource]:
    return [r for r in result.resources if r.type in {GATEWAY, ROUTE, GRANT, POLICY, PARAMETERS, DIRECT_RESPONSE}]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_gateway_api_and_kgateway_object_depends_on_the_crds(stack: str, render_stack: RenderStack) -> None:
    result = render_stack(stack)
    crds = {result.named("kgateway-gateway-api-crds").urn, result.named("kgateway-crds").urn}
    objects = custom_resources(result)
    assert {r.type for r in objects} == {GATEWAY, ROUTE, GRANT, POLICY, PARAMETERS, DIRECT_RESPONSE}
    for resource in objects:
        assert crds <= set(resource.depends_on), f"{resource.name} can race its CRDs"


def test_gateway_waits_for_the_controller_and_routes_for_the_gateway(render_stack: RenderStack) -> None:
    result = render_stack("dev")
    (gateway,) = result.of_type(GATEWAY)
    assert result.named("kgateway-controller").urn in gateway.depends_on
    for route in result.of_type(ROUTE):
        assert gateway.urn in route.depends_on
        # Never a moment with routes but no API-key policy, nor a route naming a DirectResponse that is not there.
        assert {result.named("gateway-auth").urn, result.named("gateway-not-found").urn} <= set(route.depends_on)


def test_prod_serves_https_only_and_redirects_http(render_stack: RenderStack) -> None:
    result = render_stack("prod")
    assert listener_protocols(result) == {"http": "HTTP", "https": "HTTPS", "apps": "HTTPS"}
    on_http = [
        r.inputs["metadata"]["name"]
        for r in result.of_type(ROUTE)
        if r.inputs["spec"]["parentRefs"][0]["sectionName"] == "http"
    ]
    assert on_http == ["https-redirect"]
    assert result.outputs["generatorUrl"] == "https://generator.prompt2prod.example.com"


def test_dev_serves_plain_http_by_default(render_stack: RenderStack) -> None:
    result = render_stack("dev")
    assert listener_protocols(result) == {"http": "HTTP", "apps": "HTTP"}
    assert owned(result, "kubernetes:core/v1:Secret") == []


def test_self_signed_certificate_covers_every_hostname_and_keeps_the_key_secret(render_stack: RenderStack) -> None:
    result = render_stack("prod")
    (cert,) = result.of_type("tls:index/selfSignedCert:SelfSignedCert")
    assert cert.inputs["dnsNames"] == [
        "generator.prompt2prod.example.com",
        "llm.prompt2prod.example.com",
        "grafana.prompt2prod.example.com",
        "*.apps.prompt2prod.example.com",
    ]
    assert cert.inputs["privateKeyPem"] == "[secret]"
    assert "server_auth" in cert.inputs["allowedUses"]
    (tls_secret,) = owned(result, "kubernetes:core/v1:Secret")
    assert tls_secret.inputs["type"] == "kubernetes.io/tls"
    assert tls_secret.inputs["metadata"]["namespace"] == topology.NAMESPACE_GATEWAY
    assert tls_secret.inputs["stringData"] == {"tls.crt": "[secret]", "tls.key": "[secret]"}
    (gateway,) = result.of_type(GATEWAY)
    for https in gateway.inputs["spec"]["listeners"][1:]:
        assert https["tls"]["certificateRefs"] == [{"kind": "Secret", "name": tls_secret.inputs["metadata"]["name"]}]
    assert tls_secret.urn in gateway.depends_on


def test_generated_private_key_never_appears_in_the_render(render_stack: RenderStack, tmp_path: Path) -> None:
    """The mocks give generated keys the `mock-random-` marker; the written render must not contain it."""
    write_render(render_stack("dev", {"gateway": {"tls": "selfSigned"}}), tmp_path / "out")
    files = [path for path in (tmp_path / "out").rglob("*") if path.is_file()]
    assert any("tls" in path.name for path in files)
    assert [path.name for path in files if "mock-random-" in path.read_text()] == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_configured_certificate_never_appears_in_routes_policies_or_the_gateway(
    stack: str, render_stack: RenderStack
) -> None:
    result = render_stack(stack, {"gateway": {"tls": "secret"}}, secrets=TLS_SECRETS)
    specs = json.dumps([r.inputs for r in custom_resources(result)])
    for value in TLS_SECRETS.values():
        assert value not in specs
    (tls_secret,) = owned(result, "kubernetes:core/v1:Secret")
    assert tls_secret.inputs["stringData"] == {"tls.crt": "[secret]", "tls.key": "[secret]"}
    assert result.of_type("tls:index/privateKey:PrivateKey") == []


def test_no_route_reaches_the_cloud_provider_directly(render_stack: RenderStack) -> None:
    """Cloud traffic goes through the generator (which holds the API key as a file); no Backend object exists."""
    result = render_stack("prod")
    assert [r for r in result.resources if r.type.endswith(":Backend")] == []
    backends = {
        ref["name"]
        for route in result.of_type(ROUTE)
        for rule in route.inputs["spec"]["rules"]
        for ref in rule.get("backendRefs", [])
    }
    assert backends == {topology.GENERATOR_SERVICE, topology.OLLAMA_SERVICE, topology.GRAFANA_SERVICE}


def test_reference_grants_live_in_the_target_namespaces(render_stack: RenderStack) -> None:
    result = render_stack("dev")
    namespaces = sorted(r.inputs["metadata"]["namespace"] for r in result.of_type(GRANT))
    assert namespaces == [topology.NAMESPACE_GENERATOR, topology.NAMESPACE_LLM, topology.NAMESPACE_MONITORING]


def test_canary_weights_from_config_reach_the_generator_route(render_stack: RenderStack) -> None:
    result = render_stack("dev", {"gateway": {"canary": {"enabled": True, "imageTag": "0.2.0", "weight": 30}}})
    route = next(r for r in result.of_type(ROUTE) if r.inputs["metadata"]["name"] == "generator")
    weights = {ref["name"]: ref["weight"] for ref in route.inputs["spec"]["rules"][0]["backendRefs"]}
    assert weights == {topology.GENERATOR_SERVICE: 70, topology.GENERATOR_CANARY_SERVICE: 30}


def test_gateway_address_comes_from_the_gateway_status(render_stack: RenderStack) -> None:
    assert render_stack("dev").outputs["gatewayAddress"] == MOCK_GATEWAY_ADDRESS
    assert gateway_address({"addresses": [{"type": "Hostname", "value": "lb.example.com"}]}) == "lb.example.com"
    assert gateway_address(None) == ""


def test_stack_exports_the_gateway_address_and_public_urls(render_stack: RenderStack) -> None:
    outputs = render_stack("dev").outputs
    assert outputs["gatewayAddress"] == MOCK_GATEWAY_ADDRESS
    assert outputs["generatorUrl"] == "http://generator.prompt2prod.localhost"
    assert outputs["llmUrl"] == "http://llm.prompt2prod.localhost"
    assert outputs["grafanaUrl"] == "http://grafana.prompt2prod.localhost"


def test_data_plane_egress_is_limited_to_dns_control_plane_and_backends(render_stack: RenderStack) -> None:
    result = render_stack("dev")
    (policy,) = owned(result, "kubernetes:networking.k8s.io/v1:NetworkPolicy")
    spec = policy.inputs["spec"]
    assert spec["podSelector"] == {"matchLabels": {"gateway.networking.k8s.io/gateway-name": topology.GATEWAY_NAME}}
    destinations = {
        peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]: [
            p["port"] for p in rule.get("ports", [])
        ]
        for rule in spec["egress"]
        for peer in rule["to"]
    }
    assert destinations == {
        "kube-system": [53, 53],
        topology.NAMESPACE_GATEWAY_SYSTEM: [],
        topology.NAMESPACE_GENERATOR: [topology.GENERATOR_PORT],
        topology.NAMESPACE_LLM: [topology.OLLAMA_PORT],
        topology.NAMESPACE_MONITORING: [topology.GRAFANA_CONTAINER_PORT],
        topology.NAMESPACE_APPS: [topology.APPS_PORT],
    }


def test_gateway_uses_its_proxy_parameters(render_stack: RenderStack) -> None:
    result = render_stack("prod")
    (gateway,) = result.of_type(GATEWAY)
    (parameters,) = result.of_type("kubernetes:gateway.kgateway.dev/v1alpha1:GatewayParameters")
    assert gateway.inputs["spec"]["infrastructure"]["parametersRef"] == {
        "group": "gateway.kgateway.dev",
        "kind": "GatewayParameters",
        "name": parameters.inputs["metadata"]["name"],
    }
    assert parameters.inputs["metadata"]["namespace"] == topology.NAMESPACE_GATEWAY
    assert parameters.urn in gateway.depends_on
    assert parameters.inputs["spec"]["kube"]["deployment"] == {"replicas": 2}


def test_replicated_proxy_gets_a_disruption_budget_and_a_single_one_does_not() -> None:
    assert gateway_parameters_spec(ProxyConfig(replicas=2))["kube"]["podDisruptionBudget"] == {
        "spec": {"minAvailable": 1}
    }
    assert "podDisruptionBudget" not in gateway_parameters_spec(ProxyConfig(replicas=1))["kube"]


def test_proxy_runs_restricted_with_only_the_bind_capability() -> None:
    kube = gateway_parameters_spec(ProxyConfig())["kube"]
    envoy = kube["envoyContainer"]["securityContext"]
    assert envoy["capabilities"] == {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}
    assert envoy["allowPrivilegeEscalation"] is False
    assert envoy["runAsNonRoot"] is True
    assert envoy["seccompProfile"] == {"type": "RuntimeDefault"}
    assert kube["podTemplate"]["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert kube["envoyContainer"]["resources"]["limits"] == {"cpu": "1", "memory": "512Mi"}


def test_prod_objects_with_tls_and_canary_match_the_gateway_api_schemas(render_stack: RenderStack) -> None:
    """The stack gates validate what the committed stacks render; this covers HTTPS, redirects and weights too."""
    canary = {"canary": {"enabled": True, "imageTag": "0.2.0", "weight": 10}}
    result = render_stack("prod", {"gateway": canary})
    documents = [manifest(r) for r in result.resources if is_kubernetes_object(r)]
    checked = 0
    for document in documents:
        if document["apiVersion"].startswith("gateway.networking.k8s.io/"):
            assert validate_custom_resource(document) == [], document["metadata"]["name"]
            checked += 1
    assert checked == 9  # the Gateway, 5 HTTPRoutes (with the https redirect) and 3 ReferenceGrants


def test_the_schema_gate_rejects_a_bad_header_match_type() -> None:
    """Guards the gate itself: an HTTPRoute with a non-existent match type must not pass."""
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "bad", "namespace": "gateway"},
        "spec": {"rules": [{"matches": [{"headers": [{"type": "Prefix", "name": "x-llm-mode", "value": "c"}]}]}]},
    }
    problems = validate_custom_resource(route)
    assert problems
    assert any("/spec/rules/0/matches/0/headers/0/type" in p for p in problems)
