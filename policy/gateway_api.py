"""Gateway API request routing, evaluated over the objects of a stack (resource inputs, camelCase).

`route_request(resources, request)` answers what a Gateway does with one request: which HTTPRoute rule and match
win, per the Gateway API spec's precedence rules, and whether that rule forwards to a backend, redirects, or lets
the gateway answer itself (a kgateway DirectResponse); `authentication(resources, route)` names the TrafficPolicy
that authenticates a route. The public-surface rules (`policy.surface_rules`) and the route-matching tests use
them.

Precedence, as the HTTPRoute API reference states it (v1.5 `HTTPRouteSpec.hostnames`, `HTTPRouteRule.matches`):
0. the listener: of the Gateway's listeners on the request's port, the one whose `hostname` matches the host most
   specifically (exact, then the longest wildcard, then one without a hostname); a route counts only if it is
   attached to that listener and its `allowedRoutes` admits the route's namespace and kind;
1. among the routes attached to the listener the request arrived on, those with the most specific matching
   hostname (most characters in a matching non-wildcard hostname, then in a matching hostname); as in Envoy, whose
   virtual hosts kgateway builds one per hostname, the rules of less specific routes are not considered;
2. among their matching matches: an Exact path; else the PathPrefix with the most characters; then a method
   match; then the most header matches; then the most query parameter matches; then the oldest route (here: the
   order of the resources), its namespace/name, the first rule and the first match. RegularExpression paths rank
   last (their precedence is implementation-specific).
Path prefixes match whole path elements (`/v1/models` matches `/v1/models/x`, not `/v1/modelsx`); header names
are case-insensitive, values exact; a header sent twice is matched as its values joined by commas (Envoy).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl

from policy.rules import Resource, as_list, as_mapping

AUTH_FIELDS = ("apiKeyAuth", "basicAuth", "jwtAuth", "extAuth", "oauth2")
"""TrafficPolicy fields that authenticate a request (kgateway `gateway.kgateway.dev/v1alpha1`)."""
PATH_RANK = {"Exact": 2, "PathPrefix": 1, "RegularExpression": 0}

Outcome = Literal["forward", "redirect", "direct-response", "not-found"]


@dataclass(frozen=True)
class Request:
    host: str
    path: str
    """Path with an optional `?query`."""
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    port: int = 80

    @property
    def bare_path(self) -> str:
        return self.path.split("?", 1)[0]

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        return ",".join(values) if values else None


@dataclass(frozen=True)
class RouteMatch:
    """One entry of one rule's `matches`, with what its rule does."""

    route: Resource
    rule_index: int
    match_index: int
    match: Mapping[str, Any]
    rule: Mapping[str, Any] = field(repr=False)

    @property
    def path_type(self) -> str:
        return str(as_mapping(self.match.get("path")).get("type", "PathPrefix"))

    @property
    def path_value(self) -> str:
        return str(as_mapping(self.match.get("path")).get("value", "/"))

    @property
    def conditions(self) -> tuple[bool, int, int]:
        """Whether it matches a method, and how many header and query matches it has."""
        headers = as_list(self.match.get("headers"))
        queries = as_list(self.match.get("queryParams"))
        return self.match.get("method") is not None, len(headers), len(queries)

    def precedence(self) -> tuple[int, int, bool, int, int]:
        """Higher wins (the spec's criteria in order); ties are broken by position (`route_request`)."""
        rank = PATH_RANK.get(self.path_type, 0)
        length = len(self.path_value) if self.path_type == "PathPrefix" else 0
        return (rank, length, *self.conditions)

    @property
    def backends(self) -> list[Mapping[str, Any]]:
        """The backends the rule sends requests (or copies of them, `RequestMirror`) to."""
        refs = [as_mapping(ref) for ref in as_list(self.rule.get("backendRefs"))]
        mirrors = [
            as_mapping(as_mapping(f.get("requestMirror")).get("backendRef"))
            for f in self.filters
            if f.get("type") == "RequestMirror"
        ]
        return refs + mirrors

    @property
    def filters(self) -> list[Mapping[str, Any]]:
        return [as_mapping(f) for f in as_list(self.rule.get("filters"))]

    @property
    def outcome(self) -> Outcome:
        kinds = {f.get("type") for f in self.filters}
        if "RequestRedirect" in kinds:
            return "redirect"
        if any(
            f.get("type") == "ExtensionRef" and as_mapping(f.get("extensionRef")).get("kind") == "DirectResponse"
            for f in self.filters
        ):
            return "direct-response"
        # A rule without backends gets an error status from the gateway itself (500 per the spec).
        return "forward" if as_list(self.rule.get("backendRefs")) else "direct-response"

    def accepts(self, request: Request) -> bool:
        method = self.match.get("method")
        if method is not None and method != request.method:
            return False
        if not path_matches(self.path_type, self.path_value, request.bare_path):
            return False
        for header in as_list(self.match.get("headers")):
            header = as_mapping(header)
            if not value_matches(header, request.header(str(header.get("name", "")))):
                return False
        query = dict(parse_qsl(request.path.split("?", 1)[1] if "?" in request.path else ""))
        return all(
            value_matches(as_mapping(param), query.get(str(as_mapping(param).get("name", ""))))
            for param in as_list(self.match.get("queryParams"))
        )


def path_matches(kind: str, value: str, path: str) -> bool:
    if kind == "Exact":
        return path == value
    if kind == "RegularExpression":
        return re.fullmatch(value, path) is not None
    prefix = value.rstrip("/")
    return prefix == "" or path == prefix or path.startswith(prefix + "/")


def value_matches(spec: Mapping[str, Any], actual: str | None) -> bool:
    if actual is None:
        return False
    if spec.get("type") == "RegularExpression":
        return re.fullmatch(str(spec.get("value", "")), actual) is not None
    return actual == spec.get("value")


def route_matches(route: Resource) -> Iterator[RouteMatch]:
    """Every match of every rule; a rule without `matches` matches every path (PathPrefix `/`)."""
    for rule_index, rule in enumerate(as_list(as_mapping(route.inputs.get("spec")).get("rules"))):
        rule = as_mapping(rule)
        matches = as_list(rule.get("matches")) or [{"path": {"type": "PathPrefix", "value": "/"}}]
        for match_index, match in enumerate(matches):
            yield RouteMatch(route, rule_index, match_index, as_mapping(match), rule)


def listeners(gateway: Resource) -> list[Mapping[str, Any]]:
    return [as_mapping(listener) for listener in as_list(as_mapping(gateway.inputs.get("spec")).get("listeners"))]


def attached(route: Resource, gateway: Resource, listener: Mapping[str, Any]) -> bool:
    """Whether an HTTPRoute attaches to this listener of this Gateway (by sectionName, port, or to all)."""
    for ref in as_list(as_mapping(route.inputs.get("spec")).get("parentRefs")):
        ref = as_mapping(ref)
        if ref.get("kind", "Gateway") != "Gateway" or ref.get("name") != gateway.metadata.get("name"):
            continue
        if ref.get("namespace", route.namespace) != gateway.namespace:
            continue
        section, port = ref.get("sectionName"), ref.get("port")
        if (section is None or section == listener.get("name")) and (port is None or port == listener.get("port")):
            return True
    return False


def namespace_labels(resources: Sequence[Resource]) -> dict[str, dict[str, str]]:
    """Namespace name -> its labels, with the `kubernetes.io/metadata.name` label the API server adds to each."""
    found: dict[str, dict[str, str]] = {}
    for resource in resources:
        if resource.kind == "Namespace":
            name = str(resource.metadata.get("name"))
            labels = {str(k): str(v) for k, v in as_mapping(resource.metadata.get("labels")).items()}
            found[name] = {**labels, "kubernetes.io/metadata.name": name}
    return found


def _selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    if any(labels.get(key) != value for key, value in as_mapping(selector.get("matchLabels")).items()):
        return False
    for expression in as_list(selector.get("matchExpressions")):
        expression = as_mapping(expression)
        key, values = str(expression.get("key")), [str(v) for v in as_list(expression.get("values"))]
        held = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }.get(str(expression.get("operator")), False)
        if not held:
            return False
    return True


def admits(
    listener: Mapping[str, Any], gateway: Resource, route: Resource, namespaces: Mapping[str, Mapping[str, str]]
) -> bool:
    """Whether the listener's `allowedRoutes` lets an HTTPRoute of the route's namespace attach (default: `Same`)."""
    allowed = as_mapping(listener.get("allowedRoutes"))
    kinds = [as_mapping(kind) for kind in as_list(allowed.get("kinds"))]
    if kinds and not any(kind.get("kind") == "HTTPRoute" for kind in kinds):
        return False
    origin = as_mapping(allowed.get("namespaces"))
    where = origin.get("from", "Same")
    if where == "All":
        return True
    if where == "Selector":
        labels = namespaces.get(route.namespace, {"kubernetes.io/metadata.name": route.namespace})
        return _selects(as_mapping(origin.get("selector")), labels)
    return where == "Same" and route.namespace == gateway.namespace


def public_routes(resources: Sequence[Resource]) -> list[tuple[Resource, Resource, Mapping[str, Any]]]:
    """(route, gateway, listener) for every HTTPRoute attached to, and admitted by, a listener of a Gateway of the
    stack. Every Gateway counts as public: the platform's only Gateway is its internet entry point."""
    gateways = [r for r in resources if r.kind == "Gateway"]
    routes = [r for r in resources if r.kind == "HTTPRoute"]
    namespaces = namespace_labels(resources)
    return [
        (route, gateway, listener)
        for gateway in gateways
        for listener in listeners(gateway)
        for route in routes
        if attached(route, gateway, listener) and admits(listener, gateway, route, namespaces)
    ]


def listener_score(listener: Mapping[str, Any], host: str) -> tuple[int, int] | None:
    """How specifically a listener's `hostname` matches `host` (None: not at all; a listener without one takes any
    host, least specifically). `*.example.com` takes every name below `example.com`, not `example.com` itself."""
    name = str(listener.get("hostname") or "")
    if not name:
        return (0, 0)
    host = host.split(":", 1)[0].lower()
    if name == host:
        return (2, len(name))
    if name.startswith("*.") and host.endswith(name[1:]):
        return (1, len(name))
    return None


def hostname_score(route: Resource, host: str) -> tuple[int, int] | None:
    """How specifically the route's hostnames match `host` (None: not at all; a route without hostnames matches any
    host, least specifically)."""
    hostnames = [str(h) for h in as_list(as_mapping(route.inputs.get("spec")).get("hostnames"))]
    if not hostnames:
        return (0, 0)
    host = host.split(":", 1)[0].lower()
    scores = [
        (0 if name.startswith("*.") else len(name), len(name))
        for name in hostnames
        if name == host or (name.startswith("*.") and host.endswith(name[1:]))
    ]
    return max(scores) if scores else None


def route_request(resources: Sequence[Resource], request: Request) -> RouteMatch | None:
    """The match that wins for `request`, or None (the gateway answers 404): among the listeners of its port, the
    one whose hostname matches the host most specifically takes it, and only the routes attached to it count."""
    on_port = [
        (route, listener, score)
        for route, _, listener in public_routes(resources)
        if listener.get("port") == request.port and (score := listener_score(listener, request.host)) is not None
    ]
    if not on_port:
        return None
    best_listener = max(score for _, _, score in on_port)
    candidates = [
        route
        for route, _, score in on_port
        if score == best_listener and hostname_score(route, request.host) is not None
    ]
    if not candidates:
        return None
    best_host = max(score for route in candidates if (score := hostname_score(route, request.host)) is not None)
    order = {id(route): position for position, route in enumerate(resources)}
    matching = [
        match
        for route in candidates
        if hostname_score(route, request.host) == best_host
        for match in route_matches(route)
        if match.accepts(request)
    ]
    if not matching:
        return None
    return min(
        matching,
        key=lambda m: (
            tuple(-int(part) for part in m.precedence()),
            order[id(m.route)],
            f"{m.route.namespace}/{m.route.metadata.get('name')}",
            m.rule_index,
            m.match_index,
        ),
    )


def targets(policy: Resource, route: Resource) -> bool:
    """Whether a TrafficPolicy attaches to the route itself (same namespace) or to a Gateway the route attaches to
    (a policy on a Gateway lives in the Gateway's namespace and covers the routes of every namespace on it)."""
    parents = {
        (str(as_mapping(ref).get("namespace", route.namespace)), as_mapping(ref).get("name"))
        for ref in as_list(as_mapping(route.inputs.get("spec")).get("parentRefs"))
        if as_mapping(ref).get("kind", "Gateway") == "Gateway"
    }
    for ref in as_list(as_mapping(policy.inputs.get("spec")).get("targetRefs")):
        ref = as_mapping(ref)
        if ref.get("kind") == "HTTPRoute" and (policy.namespace, ref.get("name")) == (
            route.namespace,
            route.metadata.get("name"),
        ):
            return True
        if ref.get("kind") == "Gateway" and (policy.namespace, ref.get("name")) in parents:
            return True
    return False


def _authenticates(spec: Mapping[str, Any]) -> str | None:
    for name in AUTH_FIELDS:
        settings = as_mapping(spec.get(name))
        if settings and "disable" not in settings:
            return name
    return None


def authentication(resources: Sequence[Resource], route: Resource) -> str | None:
    """`<policy name>.<field>` of a TrafficPolicy that authenticates every request of the route, or None.

    A policy that disables an authentication on the route (`disable`) wins over any that enables it: None.
    """
    policies = [r for r in resources if r.kind == "TrafficPolicy" and targets(r, route)]
    for policy in policies:
        spec = as_mapping(policy.inputs.get("spec"))
        if any("disable" in as_mapping(spec.get(name)) for name in AUTH_FIELDS):
            return None
    for policy in policies:
        found = _authenticates(as_mapping(policy.inputs.get("spec")))
        if found is not None:
            return f"{policy.metadata.get('name')}.{found}"
    return None
