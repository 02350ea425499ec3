"""Stack rules for the public surface (docs/gateway.md): what the internet can reach through the Gateways.

- `public-route-authenticated`: every HTTPRoute attached to a Gateway that forwards to a backend is covered by a
  TrafficPolicy that authenticates it (`policy.gateway_api.AUTH_FIELDS`), unless waived with a reason (Grafana,
  which has its own login);
- `no-public-ollama-admin-api`: no public rule that forwards (or mirrors) to Ollama can match a path of Ollama's
  state-changing API (`OLLAMA_ADMIN_PATHS`, whatever the method or headers), nor rewrites the path Ollama sees;
- `no-public-metrics`: no public rule that forwards can match `/metrics` (or below), unless a rule of the same route
  without any condition but its path wins over it for all of them and does not forward.

Ollama is recognised by its API port (11434) or its Service name (`ollama`). A regular-expression path counts as
able to match anything: its precedence is implementation-specific, so nothing is assumed to shadow it either.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from policy.gateway_api import RouteMatch, authentication, path_matches, public_routes, route_matches
from policy.rules import Resource

OLLAMA_PORT = 11434
OLLAMA_SERVICE = "ollama"
OLLAMA_ADMIN_PATHS = ("/api/pull", "/api/push", "/api/create", "/api/copy", "/api/delete", "/api/blobs")
"""Ollama's endpoints that change what it stores (models and blobs): `DELETE /api/delete` takes the model away."""
METRICS_PATH = "/metrics"


def _routes(resources: Sequence[Resource], rule: str) -> list[Resource]:
    """Each public route once, unless waived for `rule`."""
    seen: dict[str, Resource] = {}
    for route, _, _ in public_routes(resources):
        if not route.waived(rule):
            seen.setdefault(route.urn, route)
    return list(seen.values())


def may_reach(match: RouteMatch, prefix: str) -> bool:
    """Whether the match's path accepts some request path that is `prefix` or below it."""
    kind, value = match.path_type, match.path_value
    if kind == "Exact":
        return path_matches("PathPrefix", prefix, value)
    if kind == "PathPrefix":
        return path_matches("PathPrefix", value, prefix) or path_matches("PathPrefix", prefix, value)
    return True


def shadowed(match: RouteMatch, prefix: str) -> bool:
    """Whether every request below `prefix` that the match accepts is won by a rule of the same route that does not
    forward and has no method, header or query condition (a longer path prefix covering all of `prefix`)."""
    if match.path_type != "PathPrefix":
        return False
    for other in route_matches(match.route):
        if other.outcome == "forward" or any(other.conditions) or other.path_type != "PathPrefix":
            continue
        covers = path_matches("PathPrefix", other.path_value, prefix)
        if covers and len(other.path_value.rstrip("/")) > len(match.path_value.rstrip("/")):
            return True
    return False


def _is_ollama(ref: Mapping[str, Any]) -> bool:
    return ref.get("port") == OLLAMA_PORT or ref.get("name") == OLLAMA_SERVICE


def _per_match(
    resources: Sequence[Resource], rule: str, problem: Callable[[RouteMatch], str | None]
) -> list[tuple[str, str]]:
    """`problem(match)` for every match of every public route not waived for `rule`, as violations that name it."""
    violations = []
    for route in _routes(resources, rule):
        for m in route_matches(route):
            if text := problem(m):
                where = f"rule {m.rule_index} match {m.match_index} ({m.path_type} {m.path_value})"
                violations.append((route.urn, f"{route.describe()}: {where} {text}"))
    return violations


def public_route_authenticated(resources: Sequence[Resource]) -> list[tuple[str, str]]:
    """Every public HTTPRoute that forwards to a backend is authenticated at the gateway (a TrafficPolicy)."""
    violations = []
    for route in _routes(resources, "public-route-authenticated"):
        if any(m.outcome == "forward" for m in route_matches(route)) and authentication(resources, route) is None:
            violations.append(
                (
                    route.urn,
                    f"{route.describe()}: forwards public traffic with no authentication: attach a TrafficPolicy "
                    "with apiKeyAuth (or basicAuth, jwtAuth, extAuth, oauth2) to it or to its Gateway",
                )
            )
    return violations


def no_public_ollama_admin_api(resources: Sequence[Resource]) -> list[tuple[str, str]]:
    """No public HTTPRoute can send a request to Ollama's state-changing API (pull, push, create, copy, delete,
    blobs), whatever its method or headers."""

    def problem(match: RouteMatch) -> str | None:
        if not any(_is_ollama(ref) for ref in match.backends):
            return None
        if any(f.get("type") == "URLRewrite" for f in match.filters):
            return "rewrites the path Ollama sees"
        reached = [p for p in OLLAMA_ADMIN_PATHS if may_reach(match, p) and not shadowed(match, p)]
        if not reached:
            return None
        return f"sends {', '.join(reached)} to Ollama: route only its inference and read-only endpoints"

    return _per_match(resources, "no-public-ollama-admin-api", problem)


def no_public_metrics(resources: Sequence[Resource]) -> list[tuple[str, str]]:
    """No public HTTPRoute forwards `/metrics` to a backend (Prometheus scrapes inside the cluster)."""

    def problem(match: RouteMatch) -> str | None:
        forwards = match.outcome == "forward" and may_reach(match, METRICS_PATH)
        return f"forwards {METRICS_PATH} to a backend" if forwards and not shadowed(match, METRICS_PATH) else None

    return _per_match(resources, "no-public-metrics", problem)
