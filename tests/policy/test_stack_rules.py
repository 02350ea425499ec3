"""The policy pack's stack rules: NetworkPolicy per workload, PDB per multi-replica workload, TLS in prod.

Both renders pass; each rule fires on a broken stack with a message naming the resource, and reports it on
that resource's URN so the preview shows it next to the object.
"""

from __future__ import annotations

from typing import Any

import pytest

from policy.rules import WAIVER_HINT, Resource, resources_of
from policy.stack_rules import STACK_RULES, network_policy_per_workload, pdb_for_multi_replica, tls_on_public_listeners
from tests.support import RenderStack


def k8s(kind: str, type_: str, name: str, namespace: str, spec: dict[str, Any]) -> Resource:
    inputs = {"metadata": {"name": name, "namespace": namespace}, "spec": spec}
    return Resource(type_, f"{name}-res", f"urn:pulumi:prod::p::{type_}::{name}-res", inputs)


def deployment(replicas: int = 1, namespace: str = "generator") -> Resource:
    spec = {"replicas": replicas, "template": {"metadata": {"labels": {"app": "generator", "tier": "web"}}, "spec": {}}}
    return k8s("Deployment", "kubernetes:apps/v1:Deployment", "generator", namespace, spec)


def network_policy(namespace: str, match_labels: dict[str, str]) -> Resource:
    spec = {"podSelector": {"matchLabels": match_labels}, "policyTypes": ["Ingress"]}
    return k8s("NetworkPolicy", "kubernetes:networking.k8s.io/v1:NetworkPolicy", "np", namespace, spec)


def pdb(match_labels: dict[str, str]) -> Resource:
    spec = {"minAvailable": 1, "selector": {"matchLabels": match_labels}}
    return k8s("PodDisruptionBudget", "kubernetes:policy/v1:PodDisruptionBudget", "generator", "generator", spec)


def hpa(min_replicas: int, max_replicas: int) -> Resource:
    spec = {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "generator"},
        "minReplicas": min_replicas,
        "maxReplicas": max_replicas,
    }
    return k8s(
        "HorizontalPodAutoscaler", "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "generator", "generator", spec
    )


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_stack_rule_passes_on_the_render(render_stack: RenderStack, stack: str) -> None:
    resources = resources_of(render_stack(stack).document())
    found = {name: rule(resources) for name, rule in STACK_RULES.items()}
    assert found == {name: [] for name in STACK_RULES}, f"fix the stack, or waive one reviewed exception: {WAIVER_HINT}"


def test_a_workload_without_a_network_policy_is_reported_on_its_urn() -> None:
    workload = deployment()
    assert network_policy_per_workload([workload, network_policy("llm", {})]) == [
        (workload.urn, "Deployment generator/generator (generator-res): no NetworkPolicy in generator selects its pods")
    ]


def test_a_network_policy_that_selects_other_pods_does_not_count() -> None:
    assert network_policy_per_workload([deployment(), network_policy("generator", {"app": "ollama"})])


@pytest.mark.parametrize("match_labels", [{}, {"app": "generator"}])
def test_a_namespace_wide_or_matching_network_policy_covers_the_workload(match_labels: dict[str, str]) -> None:
    assert network_policy_per_workload([deployment(), network_policy("generator", match_labels)]) == []


def test_a_multi_replica_deployment_without_a_pdb_is_reported() -> None:
    workload = deployment(replicas=2)
    assert pdb_for_multi_replica([workload]) == [
        (
            workload.urn,
            "Deployment generator/generator (generator-res): runs 2 replicas but no PodDisruptionBudget selects it",
        )
    ]


def test_an_autoscaled_deployment_counts_the_autoscaler_floor() -> None:
    assert "runs 2 replicas" in pdb_for_multi_replica([deployment(replicas=1), hpa(2, 5)])[0][1]
    # A budget at one replica would block every node drain: scaling up to 3 from 1 needs none.
    assert pdb_for_multi_replica([deployment(replicas=1), hpa(1, 3)]) == []


def test_a_matching_pdb_satisfies_the_rule_and_a_single_replica_needs_none() -> None:
    assert pdb_for_multi_replica([deployment(replicas=3), pdb({"app": "generator"})]) == []
    assert pdb_for_multi_replica([deployment(replicas=1)]) == []
    assert pdb_for_multi_replica([deployment(replicas=3), pdb({"app": "ollama"})])


AKS = Resource("azure-native:containerservice:ManagedCluster", "aks", "urn:aks", {"disableLocalAccounts": True})
ACR = Resource("azure-native:containerregistry:Registry", "acr", "urn:acr", {"adminUserEnabled": False})
HTTPS = {
    "name": "https",
    "protocol": "HTTPS",
    "port": 443,
    "tls": {"mode": "Terminate", "certificateRefs": [{"name": "tls"}]},
}
HTTP = {"name": "http", "protocol": "HTTP", "port": 80}


def gateway(*listeners: dict[str, Any]) -> Resource:
    type_ = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
    return k8s("Gateway", type_, "public", "gateway", {"gatewayClassName": "kgateway", "listeners": list(listeners)})


def route(name: str, section: str | None, rules: list[dict[str, Any]]) -> Resource:
    parent: dict[str, Any] = {"name": "public", "namespace": "gateway"}
    if section:
        parent["sectionName"] = section
    type_ = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
    return k8s("HTTPRoute", type_, name, "generator", {"parentRefs": [parent], "rules": rules})


REDIRECT = {"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}]}
FORWARD = {"backendRefs": [{"name": "generator", "port": 8000}]}


def test_prod_gateway_without_https_is_reported() -> None:
    gw = gateway(HTTP)
    assert (gw.urn, "Gateway gateway/public (public-res): has no HTTPS listener with a certificate") in (
        tls_on_public_listeners([AKS, gw])
    )


def test_prod_https_gateway_with_redirect_only_http_passes() -> None:
    resources = [AKS, gateway(HTTPS, HTTP), route("app", "https", [FORWARD]), route("redirect", "http", [REDIRECT])]
    assert tls_on_public_listeners(resources) == []


@pytest.mark.parametrize("section", ["http", None])
def test_prod_route_serving_plain_http_is_reported(section: str | None) -> None:
    leaky = route("app", section, [FORWARD])
    found = tls_on_public_listeners([AKS, gateway(HTTPS, HTTP), leaky])
    assert found == [
        (
            leaky.urn,
            "HTTPRoute generator/app (app-res): serves plain HTTP on listener 'http' of Gateway gateway/public "
            "(public-res); HTTP listeners may only redirect to https",
        )
    ]


def test_prod_on_an_existing_cluster_is_recognised_by_its_azure_resources() -> None:
    assert tls_on_public_listeners([ACR, gateway(HTTP)])


def test_dev_may_serve_plain_http() -> None:
    assert tls_on_public_listeners([gateway(HTTP), route("app", None, [FORWARD])]) == []
