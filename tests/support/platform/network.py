"""The flows of `infra.contract.flows` against the rendered NetworkPolicies (`tests.support.platform.netpol`):
every required flow allowed between every pod of its source and of its destination, every denied flow refused.
The render hosts one generated app (`tests.support.platform.apps`), as the platform's cluster will.
"""

from __future__ import annotations

from infra.contract.flows import DENIED_FLOWS, REQUIRED_FLOWS, Condition, Endpoint, Flow
from tests.support.platform.apps import hosting_an_app
from tests.support.platform.budgets import generator_pods
from tests.support.platform.model import Pod, Render, env_value, selects
from tests.support.platform.netpol import Peer, connection_allowed


def applies(render: Render, condition: Condition) -> bool:
    """Whether a flow's condition holds for this render."""
    cloud = any(env_value(pod, "CLOUD_LLM_API_KEY_FILE") is not None for pod in generator_pods(render))
    publishing = any(env_value(pod, "PUBLISH_OWNERS") not in (None, "[]") for pod in generator_pods(render))
    in_cluster_registry = any(o["metadata"].get("namespace") == "registry" for o in render.of_kind("Deployment"))
    return {
        "always": True,
        "cloud mode": cloud,
        "publishing": publishing,
        "local-only mode": not cloud and not publishing,
        "in-cluster registry": in_cluster_registry,
        "Key Vault": bool(render.azure("keyvault:Vault")),
    }[condition]


def peers(endpoint: Endpoint, pods: list[Pod]) -> list[Peer]:
    if endpoint.address is not None:
        return [Peer(endpoint.address)]
    return [
        Peer(pod.address, pod)
        for pod in pods
        if pod.namespace == endpoint.namespace and selects(endpoint.labels, pod.labels)
    ]


def _describe(flow: Flow) -> str:
    return f"{flow.source.name} -> {flow.destination.name} {flow.port}/{flow.protocol} ({flow.purpose})"


def flow_problems(
    render: Render, required: tuple[Flow, ...] = REQUIRED_FLOWS, denied: tuple[Flow, ...] = DENIED_FLOWS
) -> list[str]:
    problems = []
    render = hosting_an_app(render)
    pods = render.pods()
    policies = render.of_kind("NetworkPolicy")
    namespaces = render.namespaces()
    for flow, must_allow in [*((f, True) for f in required), *((f, False) for f in denied)]:
        if not applies(render, flow.when):
            continue
        sources, destinations = peers(flow.source, pods), peers(flow.destination, pods)
        for endpoint, found in ((flow.source, sources), (flow.destination, destinations)):
            if not found:
                problems.append(f"{_describe(flow)}: no pod of {endpoint.name} in the render")
        for source in sources:
            for destination in destinations:
                refused = connection_allowed(policies, namespaces, source, destination, flow.port, flow.protocol)
                if must_allow and refused:
                    problems.append(f"required {_describe(flow)}: {source} -> {destination}: {refused}")
                if not must_allow and refused is None:
                    problems.append(f"denied {_describe(flow)}: {source} -> {destination} is allowed")
    return problems
