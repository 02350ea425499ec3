"""Checks of the public path: HTTPRoute -> Gateway listener -> Service -> port (ReferenceGrants for the namespaces
crossed), the objects its filters and policies name (a DirectResponse, the routes a TrafficPolicy targets, the
Secret of API keys), and the time each route gives the work behind it (route timeouts, stream idle timeouts)
against the budgets of `infra.contract.budgets`. Each check returns its problems.
"""

from __future__ import annotations

from infra.contract.budgets import ENVOY_ROUTE_TIMEOUT_SECONDS, ENVOY_STREAM_IDLE_SECONDS, backend_budget
from tests.support.platform.budgets import generation_budget
from tests.support.platform.model import Object, Render, selects
from tests.support.platform.references import secret_problem

GATEWAY_GROUP = "gateway.networking.k8s.io"
UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def seconds_of(duration: str) -> float:
    """A Gateway API duration (`^([0-9]{1,5}(h|m|s|ms)){1,4}$`, e.g. `1m30s`) in seconds."""
    total, number, index = 0.0, "", 0
    while index < len(duration):
        if duration[index].isdigit():
            number += duration[index]
            index += 1
            continue
        unit = "ms" if duration.startswith("ms", index) else duration[index]
        if unit not in UNITS or not number:
            raise ValueError(f"{duration!r} is not a Gateway API duration")
        total, number, index = total + int(number) * UNITS[unit], "", index + len(unit)
    if number:
        raise ValueError(f"{duration!r} is not a Gateway API duration")
    return total


def _granted(render: Render, route: Object, ref: Object, namespace: str) -> bool:
    route_namespace = route["metadata"]["namespace"]
    for grant in render.of_kind("ReferenceGrant"):
        if grant["metadata"]["namespace"] != namespace:
            continue
        from_ok = any(
            f.get("group") == GATEWAY_GROUP and f.get("kind") == "HTTPRoute" and f.get("namespace") == route_namespace
            for f in grant["spec"]["from"]
        )
        to_ok = any(
            t.get("group", "") == ref.get("group", "")
            and t.get("kind") == ref.get("kind", "Service")
            and t.get("name", ref["name"]) == ref["name"]
            for t in grant["spec"]["to"]
        )
        if from_ok and to_ok:
            return True
    return False


def _listener_problem(render: Render, route: Object, parent: Object) -> str | None:
    route_namespace = route["metadata"]["namespace"]
    gateway = render.find("Gateway", parent.get("namespace", route_namespace), parent["name"])
    if gateway is None:
        return f"parent Gateway {parent.get('namespace', route_namespace)}/{parent['name']} does not exist"
    listeners = [
        listener for listener in gateway["spec"]["listeners"] if parent.get("sectionName") in (None, listener["name"])
    ]
    if not listeners:
        return f"Gateway {parent['name']} has no listener {parent.get('sectionName')!r}"
    for listener in listeners:
        allowed = listener.get("allowedRoutes", {})
        origin = allowed.get("namespaces", {}).get("from", "Same")
        if origin == "Same" and route_namespace != gateway["metadata"]["namespace"]:
            return f"listener {listener['name']} admits routes of its own namespace only"
        if origin == "Selector":
            labels = render.namespaces().get(route_namespace, {})
            if not selects(allowed["namespaces"].get("selector"), labels):
                return f"listener {listener['name']} does not select namespace {route_namespace}"
        kinds = allowed.get("kinds")
        if kinds and not any(k.get("kind") == "HTTPRoute" for k in kinds):
            return f"listener {listener['name']} does not admit HTTPRoutes"
    return None


def route_problems(render: Render) -> list[str]:
    """Every route attaches to a listener that admits it and reaches Services (and their ports) that exist, across
    namespaces only where the target namespace grants it."""
    problems = []
    for route in render.of_kind("HTTPRoute"):
        where = f"HTTPRoute {route['metadata']['name']}"
        for parent in route["spec"]["parentRefs"]:
            problem = _listener_problem(render, route, parent)
            if problem:
                problems.append(f"{where}: {problem}")
        for rule in route["spec"]["rules"]:
            for extension in [f["extensionRef"] for f in rule.get("filters", []) if f.get("type") == "ExtensionRef"]:
                if render.find(extension["kind"], route["metadata"]["namespace"], extension["name"]) is None:
                    problems.append(f"{where}: filter {extension['kind']} {extension['name']} does not exist")
            for ref in rule.get("backendRefs", []):
                namespace = ref.get("namespace", route["metadata"]["namespace"])
                service = render.find(ref.get("kind", "Service"), namespace, ref["name"])
                if service is None:
                    problems.append(f"{where}: backend Service {namespace}/{ref['name']} does not exist")
                    continue
                if ref["port"] not in {port["port"] for port in service["spec"]["ports"]}:
                    problems.append(f"{where}: Service {namespace}/{ref['name']} has no port {ref['port']}")
                if namespace != route["metadata"]["namespace"] and not _granted(render, route, ref, namespace):
                    problems.append(f"{where}: no ReferenceGrant in {namespace} lets it reach Service {ref['name']}")
    return problems


def policy_problems(render: Render) -> list[str]:
    """Every kgateway TrafficPolicy targets routes that exist in its namespace (a policy naming a missing route
    applies to nothing, silently), and the API keys it authenticates with are a Secret that exists in the cluster."""
    problems = []
    for policy in render.of_kind("TrafficPolicy"):
        namespace = policy["metadata"]["namespace"]
        where = f"TrafficPolicy {namespace}/{policy['metadata']['name']}"
        targets = policy["spec"].get("targetRefs", [])
        if not targets:
            problems.append(f"{where}: targets nothing")
        for target in targets:
            if render.find(target["kind"], namespace, target["name"]) is None:
                problems.append(f"{where}: target {target['kind']} {target['name']} does not exist")
        secret = policy["spec"].get("apiKeyAuth", {}).get("secretRef", {}).get("name")
        problem = secret_problem(render, namespace, secret) if secret else None
        if problem:
            problems.append(f"{where}: API keys: {problem}")
    return problems


def stream_idle_seconds(render: Render, route: Object) -> float:
    """The stream idle timeout of a route: a kgateway TrafficPolicy's `timeouts.streamIdle`, else Envoy's default."""
    for policy in render.of_kind("TrafficPolicy"):
        targets = policy["spec"].get("targetRefs", [])
        idle = policy["spec"].get("timeouts", {}).get("streamIdle")
        same_namespace = policy["metadata"]["namespace"] == route["metadata"]["namespace"]
        targeted = any(t.get("kind") == "HTTPRoute" and t["name"] == route["metadata"]["name"] for t in targets)
        if idle and same_namespace and targeted:
            return seconds_of(idle)
    return ENVOY_STREAM_IDLE_SECONDS


def timeout_problems(render: Render) -> list[str]:
    """Every rule that forwards to a workload gives it at least its budget plus the gateway's margin (without a
    `timeouts.request`, Envoy's 15 s), and no stream idle timeout cuts a response the route still waits for."""
    generation = generation_budget(render)
    if generation is None:
        return ["no generator pod carries the request budget (REQUEST_TIMEOUT_SECONDS): nothing to size routes by"]
    problems = []
    for route in render.of_kind("HTTPRoute"):
        idle = stream_idle_seconds(render, route)
        for index, rule in enumerate(route["spec"]["rules"]):
            refs = rule.get("backendRefs", [])
            if not refs:
                continue
            where = f"HTTPRoute {route['metadata']['name']} rule {index}"
            timeout = rule.get("timeouts", {}).get("request")
            allowed = seconds_of(timeout) if timeout else float(ENVOY_ROUTE_TIMEOUT_SECONDS)
            if allowed == 0:
                allowed = float("inf")  # `0s` disables the route timeout
            for ref in refs:
                needed = backend_budget(ref["name"], generation).gateway_seconds
                if allowed < needed:
                    shown = timeout or f"none (Envoy's {ENVOY_ROUTE_TIMEOUT_SECONDS}s)"
                    problems.append(f"{where}: timeout {shown} is shorter than {ref['name']}'s budget ({needed}s)")
            if idle < allowed:
                problems.append(f"{where}: the stream idle timeout ({idle:g}s) cuts a response before the route's")
    return problems
