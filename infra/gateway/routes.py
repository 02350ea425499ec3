"""Pure builders of the Gateway API objects the public gateway declares (no Pulumi resources here).

Routing, in one place, by allow-list: a request that no rule below matches gets 404 from the gateway.
- `generatorHostname`: `POST /generate`, `GET /models`, `/health` and `/ready` -> the generator Service, split by
  weight with `generator-canary` when the canary is on;
- `llmHostname`: `POST /generate` with `x-llm-mode: cloud` (Exact) -> the generator Service, which calls the cloud
  provider with the API key it reads from its mounted secret file; Ollama's inference and read-only API
  (`OLLAMA_PUBLIC_API`) -> the Ollama Service. Ollama's state-changing endpoints (pull, push, create, copy,
  delete, blobs) match no rule;
- `grafanaHostname` -> Grafana, except `/metrics`, which the gateway answers itself with 404.
No public rule forwards `/metrics` of anything: Prometheus scrapes inside the cluster. Every rule that forwards to
the generator or Ollama is behind the `api-auth` TrafficPolicy (API keys, `x-api-key`). With TLS on, these routes
attach to the `https` listener and an `http` route only redirects to https.

Why cloud traffic is not routed to a kgateway `Backend` (static host, TLS) straight to the provider: kgateway 2.3
has no way to add the provider's `Authorization` header from a Secret on the Envoy data plane (the AI backend
that did this was removed, and `headerModifiers` take literal values), so the API key would have to be written
into a policy spec. The generator already holds the key as a file from the secret store.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from infra import topology
from infra.config.gateway import CanaryConfig, GatewayConfig
from infra.contract.budgets import GenerationBudget, RequestBudget, backend_budget, duration

GATEWAY_API = "gateway.networking.k8s.io/v1"
REFERENCE_GRANT_API = "gateway.networking.k8s.io/v1beta1"
KGATEWAY_API = "gateway.kgateway.dev/v1alpha1"
HTTP_PORT = 80
HTTPS_PORT = 443
NOT_FOUND = "not-found"
"""The kgateway DirectResponse (404) the gateway answers with instead of forwarding."""

Listener = Literal["http", "https"]
Spec = dict[str, Any]
Endpoint = tuple[Literal["GET", "POST"], Literal["Exact", "PathPrefix"], str]
"""Method, path match type and path of one public API endpoint."""

GENERATE: Endpoint = ("POST", "Exact", "/generate")
GENERATOR_PUBLIC_API: tuple[Endpoint, ...] = (
    GENERATE,
    ("GET", "Exact", "/models"),
    # Read-only, and what the deploy verification (client `verify`) checks from outside; with a key like the rest.
    ("GET", "Exact", "/health"),
    ("GET", "Exact", "/ready"),
)
"""The generator endpoints a client calls, all behind the API key; `/metrics` and the OpenAPI pages stay inside."""
PUBLISH: Endpoint = ("POST", "Exact", "/publish")
"""Publishing a generated project to GitHub: a route of its own, because its body is a whole project (the
`publish-limits` policy admits `PUBLISH_BODY_BYTES`), not a prompt (`api-limits`, `gateway.maxRequestBytes`)."""
PUBLISH_BODY_BYTES = 8 * 1024 * 1024
"""The largest body the generator reads on `POST /publish` (its `PUBLISH_BODY_BYTES`; tests compare the two)."""
OLLAMA_PUBLIC_API: tuple[Endpoint, ...] = (
    ("POST", "Exact", "/api/generate"),
    ("POST", "Exact", "/api/chat"),
    ("POST", "Exact", "/api/show"),
    ("GET", "Exact", "/api/tags"),
    ("POST", "Exact", "/v1/chat/completions"),
    ("POST", "Exact", "/v1/completions"),
    # The model list and one model (`/v1/models/<name>`); GET only, and Ollama changes nothing on a GET.
    ("GET", "PathPrefix", "/v1/models"),
)
"""Ollama's inference and read-only API, the only part of it the LLM host routes (an allow-list: its model
management — pull, push, create, copy, delete, blobs — can never be reached from outside the cluster)."""


def serving_listener(config: GatewayConfig) -> Listener:
    """The listener the application routes attach to: `https` whenever TLS is configured (named as the scheme)."""
    return config.scheme


def apps_listener(tls_secret_name: str | None, apps_domain: str) -> Spec:
    """The listener generated apps attach to: `*.<appsDomain>`, on the serving listener's port and protocol (HTTPS
    with the same certificate when TLS is on), admitting HTTPRoutes of the `apps` namespace only. Being the most
    specific listener for those names, it alone serves them: no route of the platform answers there, and no route
    of an app can attach to the other listeners (`from: Same`) to answer for a platform host."""
    listener: Spec = {
        "name": topology.APPS_LISTENER,
        "hostname": f"*.{apps_domain}",
        "protocol": "HTTP" if tls_secret_name is None else "HTTPS",
        "port": HTTP_PORT if tls_secret_name is None else HTTPS_PORT,
        "allowedRoutes": {
            "namespaces": {
                "from": "Selector",
                "selector": {"matchLabels": {"kubernetes.io/metadata.name": topology.NAMESPACE_APPS}},
            },
            "kinds": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}],
        },
    }
    if tls_secret_name is not None:
        listener["tls"] = {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": tls_secret_name}]}
    return listener


def gateway_spec(config: GatewayConfig, tls_secret_name: str | None, apps_domain: str) -> Spec:
    """The `public` Gateway: an HTTP listener, plus an HTTPS one terminating TLS when TLS is configured, and the
    `apps` listener for generated apps (`apps_listener`).

    The platform's listeners admit routes from the gateway's own namespace only (`from: Same`): every platform route
    lives there and reaches Services in other namespaces through ReferenceGrants that those namespaces hold.
    """
    allowed_routes = {
        "namespaces": {"from": "Same"},
        "kinds": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}],
    }
    listeners: list[Spec] = [{"name": "http", "protocol": "HTTP", "port": HTTP_PORT, "allowedRoutes": allowed_routes}]
    if config.tls != "none":
        if tls_secret_name is None:
            raise ValueError(f"gateway.tls is {config.tls!r} but no certificate Secret was given")
        listeners.append(
            {
                "name": "https",
                "protocol": "HTTPS",
                "port": HTTPS_PORT,
                "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": tls_secret_name}]},
                "allowedRoutes": allowed_routes,
            }
        )
    listeners.append(apps_listener(tls_secret_name, apps_domain))
    return {"gatewayClassName": topology.GATEWAY_CLASS, "listeners": listeners}


def _parent(listener: Listener) -> list[Spec]:
    return [
        {
            "group": "gateway.networking.k8s.io",
            "kind": "Gateway",
            "name": topology.GATEWAY_NAME,
            "namespace": topology.NAMESPACE_GATEWAY,
            "sectionName": listener,
        }
    ]


def _service(name: str, namespace: str, port: int, weight: int | None = None) -> Spec:
    ref: Spec = {"group": "", "kind": "Service", "name": name, "namespace": namespace, "port": port}
    if weight is not None:
        ref["weight"] = weight
    return ref


def generator_backends(canary: CanaryConfig) -> list[Spec]:
    """The generator Service, or the stable/canary pair weighted `100 - weight` / `weight` percent."""
    if not canary.enabled:
        return [_service(topology.GENERATOR_SERVICE, topology.NAMESPACE_GENERATOR, topology.GENERATOR_PORT)]
    return [
        _service(
            topology.GENERATOR_SERVICE, topology.NAMESPACE_GENERATOR, topology.GENERATOR_PORT, 100 - canary.weight
        ),
        _service(
            topology.GENERATOR_CANARY_SERVICE, topology.NAMESPACE_GENERATOR, topology.GENERATOR_PORT, canary.weight
        ),
    ]


def _mode(value: str) -> Spec:
    return {"headers": [{"type": "Exact", "name": topology.LLM_MODE_HEADER, "value": value}]}


ANY_PATH: Spec = {"path": {"type": "PathPrefix", "value": "/"}}


def endpoint_matches(endpoints: Sequence[Endpoint]) -> list[Spec]:
    """One HTTPRoute match (method and path) per endpoint."""
    return [{"path": {"type": kind, "value": path}, "method": method} for method, kind, path in endpoints]


def generator_route_spec(config: GatewayConfig, endpoints: Sequence[Endpoint] = GENERATOR_PUBLIC_API) -> Spec:
    """`endpoints` on the generator's host -> the generator. The `publish` route is `[PUBLISH]` (the generator
    refuses it, naming why, where publishing is off or the caller's key may not publish)."""
    return {
        "parentRefs": _parent(serving_listener(config)),
        "hostnames": [config.generator_hostname],
        "rules": [{"matches": endpoint_matches(endpoints), "backendRefs": generator_backends(config.canary)}],
    }


def llm_route_spec(config: GatewayConfig) -> Spec:
    """`POST /generate` with `x-llm-mode: cloud` -> generator; Ollama's public API -> Ollama.

    The header is matched Exact, so `cloudy` or `Cloud` never reach the cloud rule. Ollama's paths carry no header
    match: on this host its API is the local model whatever the header says (cloud mode is the generator's API).
    """
    ollama = _service(topology.OLLAMA_SERVICE, topology.NAMESPACE_LLM, topology.OLLAMA_PORT)
    cloud = [{**match, **_mode("cloud")} for match in endpoint_matches([GENERATE])]
    return {
        "parentRefs": _parent(serving_listener(config)),
        "hostnames": [config.llm_hostname],
        "rules": [
            {"matches": cloud, "backendRefs": generator_backends(config.canary)},
            {"matches": endpoint_matches(OLLAMA_PUBLIC_API), "backendRefs": [ollama]},
        ],
    }


def not_found_filter() -> Spec:
    """An HTTPRoute filter that makes the gateway answer 404 itself (kgateway `DirectResponse` `not-found`)."""
    return {
        "type": "ExtensionRef",
        "extensionRef": {"group": KGATEWAY_API.split("/")[0], "kind": "DirectResponse", "name": NOT_FOUND},
    }


def not_found_spec() -> Spec:
    """`DirectResponse.spec` of `not-found`."""
    return {"status": 404, "body": "not found\n"}


def grafana_route_spec(config: GatewayConfig) -> Spec:
    """Everything to Grafana (it has its own login) but `/metrics`, which Grafana serves to anyone: the longer
    prefix wins over `/` (Gateway API precedence), and the gateway answers it with 404."""
    grafana = _service(topology.GRAFANA_SERVICE, topology.NAMESPACE_MONITORING, topology.GRAFANA_PORT)
    return {
        "parentRefs": _parent(serving_listener(config)),
        "hostnames": [config.grafana_hostname],
        "rules": [
            {
                "matches": [{"path": {"type": "PathPrefix", "value": topology.GENERATOR_METRICS_PATH}}],
                "filters": [not_found_filter()],
            },
            {"matches": [ANY_PATH], "backendRefs": [grafana]},
        ],
    }


def https_redirect_route_spec(config: GatewayConfig, apps_domain: str) -> Spec:
    """On the `http` listener when TLS is on: every request is answered with a 301 to the same URL over https,
    generated apps' hosts included."""
    return {
        "parentRefs": _parent("http"),
        "hostnames": [*config.hostnames, f"*.{apps_domain}"],
        "rules": [
            {
                "matches": [ANY_PATH],
                "filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}],
            }
        ],
    }


def route_specs(config: GatewayConfig, generation: GenerationBudget, apps_domain: str) -> dict[str, Spec]:
    """Every HTTPRoute of the gateway by name, each rule that forwards to a workload with its timeouts."""
    routes = {
        "generator": generator_route_spec(config),
        "publish": generator_route_spec(config, [PUBLISH]),
        "llm": llm_route_spec(config),
        "grafana": grafana_route_spec(config),
    }
    if config.tls != "none":
        routes["https-redirect"] = https_redirect_route_spec(config, apps_domain)
    return {name: with_timeouts(spec, generation) for name, spec in routes.items()}


def route_timeouts(budget: RequestBudget) -> Spec:
    """`timeouts` of a rule whose backend works within `budget`. Without it Envoy cuts every request at 15 s."""
    return {"request": duration(budget.gateway_seconds)}


def with_timeouts(route: Spec, generation: GenerationBudget) -> Spec:
    """`route` with `route_timeouts` on every rule that forwards to a workload, sized by the slowest of its backends
    (`infra.contract.budgets.backend_budget`). Rules that only redirect keep none."""
    rules = []
    for rule in route["rules"]:
        refs = rule.get("backendRefs", [])
        if refs:
            slowest = max((backend_budget(ref["name"], generation) for ref in refs), key=lambda b: b.gateway_seconds)
            rule = {**rule, "timeouts": route_timeouts(slowest)}
        rules.append(rule)
    return {**route, "rules": rules}


def stream_idle_policy_spec(generation: GenerationBudget, route_names: Sequence[str]) -> Spec:
    """kgateway TrafficPolicy on the routes that reach the generator or Ollama: a response may stay silent as long
    as its route timeout allows (a JSON or zip answer sends nothing until the end; an NDJSON stream waits up to one
    backend call between events), not only Envoy's default 300 s."""
    return {
        "targetRefs": [
            {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": name} for name in route_names
        ],
        "timeouts": {"streamIdle": duration(generation.gateway_seconds)},
    }


def reference_grant_specs(routes: dict[str, Spec]) -> dict[str, Spec]:
    """One ReferenceGrant per namespace the routes point into, naming exactly the Services they use."""
    services: dict[str, set[str]] = {}
    for spec in routes.values():
        for rule in spec["rules"]:
            for ref in rule.get("backendRefs", []):
                namespace = ref.get("namespace", topology.NAMESPACE_GATEWAY)
                if namespace != topology.NAMESPACE_GATEWAY:
                    services.setdefault(namespace, set()).add(ref["name"])
    return {
        namespace: {
            "from": [
                {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": topology.NAMESPACE_GATEWAY}
            ],
            "to": [{"group": "", "kind": "Service", "name": name} for name in sorted(names)],
        }
        for namespace, names in sorted(services.items())
    }


API_ROUTES: tuple[str, ...] = ("generator", "publish", "llm")
"""The routes that forward to the generator or Ollama: behind the API key and the limits. The policies name these
routes, never the Gateway: a policy on the Gateway would also cover the generated apps' routes, which are their
users' public sites (no key, no platform limits)."""
AUTH_WAIVER = "policy.prompt2prod.io/skip-public-route-authenticated"
"""The policy pack's waiver of gateway authentication for one route (a reason of 10+ characters)."""


def route_annotations(route_name: str) -> dict[str, str]:
    """The Grafana route is the one public route without an API key: Grafana has its own login (anonymous access
    off), and its browser users could not send a key header anyway."""
    if route_name != "grafana":
        return {}
    return {AUTH_WAIVER: "Grafana authenticates every user itself; anonymous access is off (tested)"}


def auth_policy_spec(route_names: Sequence[str], keys_secret: str) -> Spec:
    """kgateway TrafficPolicy `apiKeyAuth` on the API routes: a request without a key in `x-api-key` (or with a key
    that is not one of the Secret's values) gets 401 from the gateway, before any backend.

    Each entry of the Secret is one key, its entry name the client's name. The gateway removes the key from the
    request (`forwardCredential: false`) and sets `x-prompt2prod-client` to that name, replacing any value the
    client sent: the generator's per-client cloud budget trusts only this header. kgateway watches the Secret, so a
    rotated or revoked key takes effect without restarting the proxy.
    """
    return {
        "targetRefs": [
            {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": name} for name in route_names
        ],
        "apiKeyAuth": {
            "keySources": [{"header": topology.API_KEY_HEADER}],
            "forwardCredential": False,
            "clientIdHeader": topology.CLIENT_HEADER,
            "secretRef": {"name": keys_secret},
        },
    }


PROMPT_ROUTES: tuple[str, ...] = ("generator", "llm")
"""The API routes whose bodies are prompts and chat requests (`api-limits`); `publish` has `publish-limits`."""


def limits_policy_spec(config: GatewayConfig, route_names: Sequence[str], max_request_bytes: int | None = None) -> Spec:
    """kgateway TrafficPolicy on the API routes: request bodies above `max_request_bytes` (default
    `maxRequestBytes`) get 413, and a token bucket of `requestsPerMinute` (refilled every minute, per gateway
    replica) answers the excess with 429.

    Grafana is left out on purpose: one dashboard load makes dozens of requests.
    """
    return {
        "targetRefs": [
            {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": name} for name in route_names
        ],
        "buffer": {"maxRequestSize": str(max_request_bytes or config.max_request_bytes)},
        "rateLimit": {
            "local": {
                "tokenBucket": {
                    "maxTokens": config.requests_per_minute,
                    "tokensPerFill": config.requests_per_minute,
                    "fillInterval": "60s",
                }
            }
        },
    }
