"""Rules that need the whole stack: a NetworkPolicy per workload, a PDB per multi-replica workload, TLS in prod,
and the public surface's rules (`policy.surface_rules`).

Each takes every resource of the stack and returns `(urn, message)` pairs; the message names the resource.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from policy.gateway_api import attached
from policy.gateway_api import listeners as gateway_listeners
from policy.rules import Resource, as_list, as_mapping, pod_template
from policy.surface_rules import no_public_metrics, no_public_ollama_admin_api, public_route_authenticated

StackRule = Callable[[Sequence[Resource]], list[tuple[str, str]]]


def _selects(selector: Mapping[str, Any], labels: Mapping[str, Any], *, empty_matches: bool) -> bool:
    """Whether a label selector's `matchLabels` select a pod with `labels` (expressions are not evaluated)."""
    match_labels = as_mapping(selector.get("matchLabels"))
    if not match_labels and not as_list(selector.get("matchExpressions")):
        return empty_matches
    return all(labels.get(key) == value for key, value in match_labels.items())


def _pod_labels(resource: Resource) -> Mapping[str, Any]:
    return as_mapping(as_mapping((pod_template(resource) or {}).get("metadata")).get("labels"))


def _workloads(resources: Sequence[Resource], rule: str) -> list[Resource]:
    return [r for r in resources if pod_template(r) is not None and not r.waived(rule)]


def network_policy_per_workload(resources: Sequence[Resource]) -> list[tuple[str, str]]:
    """Every workload's pods are selected by a NetworkPolicy in their namespace (an empty podSelector counts)."""
    policies = [r for r in resources if r.kind == "NetworkPolicy"]
    violations = []
    for workload in _workloads(resources, "network-policy-per-workload"):
        labels = _pod_labels(workload)
        if not any(
            policy.namespace == workload.namespace
            and _selects(
                as_mapping(as_mapping(policy.inputs.get("spec")).get("podSelector")), labels, empty_matches=True
            )
            for policy in policies
        ):
            violations.append(
                (workload.urn, f"{workload.describe()}: no NetworkPolicy in {workload.namespace} selects its pods")
            )
    return violations


def _min_replicas(workload: Resource, autoscalers: Sequence[Resource]) -> int:
    """The replicas a workload always runs: `spec.replicas`, or the floor of an autoscaler that targets it."""
    replicas = as_mapping(workload.inputs.get("spec")).get("replicas", 1)
    floor = replicas if isinstance(replicas, int) else 1
    for hpa in autoscalers:
        spec = as_mapping(hpa.inputs.get("spec"))
        target = as_mapping(spec.get("scaleTargetRef"))
        name = workload.metadata.get("name")
        if hpa.namespace == workload.namespace and target.get("kind") == workload.kind and target.get("name") == name:
            min_replicas = spec.get("minReplicas", 1)
            floor = min_replicas if isinstance(min_replicas, int) else 1
    return floor


def pdb_for_multi_replica(resources: Sequence[Resource]) -> list[tuple[str, str]]:
    """A Deployment or StatefulSet that always runs 2+ replicas has a PodDisruptionBudget.

    "Always" is `spec.replicas`, or `minReplicas` of an autoscaler that targets it: a budget that keeps one pod up
    would block every node drain while a single replica runs.
    """
    autoscalers = [r for r in resources if r.kind == "HorizontalPodAutoscaler"]
    budgets = [r for r in resources if r.kind == "PodDisruptionBudget"]
    violations = []
    for workload in _workloads(resources, "pdb-for-multi-replica"):
        if workload.kind not in ("Deployment", "StatefulSet"):
            continue
        replicas = _min_replicas(workload, autoscalers)
        if replicas < 2:
            continue
        labels = _pod_labels(workload)
        if not any(
            budget.namespace == workload.namespace
            and _selects(as_mapping(as_mapping(budget.inputs.get("spec")).get("selector")), labels, empty_matches=False)
            for budget in budgets
        ):
            violations.append(
                (
                    workload.urn,
                    f"{workload.describe()}: runs {replicas} replicas but no PodDisruptionBudget selects it",
                )
            )
    return violations


def is_production(resources: Sequence[Resource]) -> bool:
    """prod is the Azure stack: dev never declares an Azure resource, prod always does (AKS or not)."""
    return any(r.type.startswith("azure-native:") for r in resources)


def _redirects_to_https(rule: Mapping[str, Any]) -> bool:
    if as_list(rule.get("backendRefs")):
        return False
    return any(
        as_mapping(f).get("type") == "RequestRedirect"
        and as_mapping(as_mapping(f).get("requestRedirect")).get("scheme") == "https"
        for f in as_list(rule.get("filters"))
    )


def tls_on_public_listeners(resources: Sequence[Resource]) -> list[tuple[str, str]]:
    """In prod every Gateway has an HTTPS listener with a certificate; its HTTP listeners only redirect to https."""
    if not is_production(resources):
        return []
    routes = [r for r in resources if r.kind == "HTTPRoute"]
    violations = []
    for gateway in (r for r in resources if r.kind == "Gateway" and not r.waived("tls-on-public-listeners")):
        listeners = gateway_listeners(gateway)
        if not any(
            listener.get("protocol") == "HTTPS" and as_list(as_mapping(listener.get("tls")).get("certificateRefs"))
            for listener in listeners
        ):
            violations.append((gateway.urn, f"{gateway.describe()}: has no HTTPS listener with a certificate"))
        for listener in listeners:
            if listener.get("protocol") in ("TCP", "UDP"):
                violations.append(
                    (
                        gateway.urn,
                        f"{gateway.describe()}: listener {listener.get('name')!r} is plaintext {listener['protocol']}",
                    )
                )
            if listener.get("protocol") != "HTTP":
                continue
            for route in routes:
                rules = [as_mapping(rule) for rule in as_list(as_mapping(route.inputs.get("spec")).get("rules"))]
                if attached(route, gateway, listener) and not all(_redirects_to_https(rule) for rule in rules):
                    violations.append(
                        (
                            route.urn,
                            f"{route.describe()}: serves plain HTTP on listener {listener.get('name')!r} of "
                            f"{gateway.describe()}; HTTP listeners may only redirect to https",
                        )
                    )
    return violations


STACK_RULES: dict[str, StackRule] = {
    "network-policy-per-workload": network_policy_per_workload,
    "pdb-for-multi-replica": pdb_for_multi_replica,
    "tls-on-public-listeners": tls_on_public_listeners,
    "public-route-authenticated": public_route_authenticated,
    "no-public-ollama-admin-api": no_public_ollama_admin_api,
    "no-public-metrics": no_public_metrics,
}
