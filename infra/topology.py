"""Names that several components agree on: namespaces, service names, ports and labels.

Components reference each other through these (e.g. the gateway routes to the Ollama Service by name), so
that no component has to import another to know where it lives.
"""

from __future__ import annotations

from typing import Final

PART_OF: Final = "prompt2prod"

# Namespaces, one per concern, so that NetworkPolicies can select by `kubernetes.io/metadata.name`.
NAMESPACE_LLM: Final = "llm"
NAMESPACE_GENERATOR: Final = "generator"
NAMESPACE_GATEWAY: Final = "gateway"
NAMESPACE_GATEWAY_SYSTEM: Final = "kgateway-system"
NAMESPACE_MONITORING: Final = "monitoring"
NAMESPACE_REGISTRY: Final = "registry"
NAMESPACE_APPS: Final = "apps"
"""Where generated projects deploy themselves (their own workflow applies their `deploy/` manifests)."""

OLLAMA_SERVICE: Final = "ollama"
OLLAMA_STATEFULSET: Final = "ollama"
OLLAMA_PORT: Final = 11434
GENERATOR_SERVICE: Final = "generator"
GENERATOR_PORT: Final = 8000
GENERATOR_CANARY_SERVICE: Final = "generator-canary"
APPS_PORT: Final = 8080
"""The port every generated app listens on (its container gets `PORT=8080`)."""
APPS_PART_OF: Final = "prompt2prod-apps"
"""`app.kubernetes.io/part-of` of every generated app's objects (their `app.kubernetes.io/name` is the project's)."""
APPS_LISTENER: Final = "apps"
"""The Gateway listener generated apps' HTTPRoutes attach to (`sectionName`), for `*.<appsDomain>`."""
GATEWAY_NAME: Final = "public"
GATEWAY_CLASS: Final = "kgateway"
"""The GatewayClass the kgateway chart installs."""
GRAFANA_CONTAINER_PORT: Final = 3000
LLM_MODE_HEADER: Final = "x-llm-mode"
"""Request header that picks the LLM backend: `local` (default) or `cloud`."""
API_KEY_HEADER: Final = "x-api-key"
"""Request header that carries a client's API key to the gateway (which strips it before any backend)."""
CLIENT_HEADER: Final = "x-prompt2prod-client"
"""Header the gateway sets to the authenticated key's client name (overwriting any sent by the client); the
generator's per-client cloud budget and metric labels read it."""
API_KEY_SYNC: Final = "api-key-sync"
"""prod: the pod (in the gateway's namespace) that only holds the API keys' CSI mount, so that the driver keeps the
Secret kgateway reads; it has no network at all."""

# GPU nodes (the AKS GPU pool): labelled so that GPU workloads select them, tainted so that nothing else lands there.
# The cluster layer sets the label and taint on the pool; workloads that request `GPU_RESOURCE` select and tolerate.
GPU_RESOURCE: Final = "nvidia.com/gpu"
GPU_NODE_LABEL: Final = "prompt2prod.io/gpu"
GPU_NODE_LABEL_VALUE: Final = "true"
GPU_TAINT_KEY: Final = "nvidia.com/gpu"
GPU_TAINT_VALUE: Final = "present"
GPU_TAINT_EFFECT: Final = "NoSchedule"
# Prometheus (prometheus-operator) discovers ServiceMonitors / PodMonitors / PrometheusRules carrying this label.
MONITORING_SELECTOR_LABEL: Final = {"prompt2prod.io/monitor": "true"}
# Labels prometheus-operator puts on every Prometheus server pod it runs: NetworkPolicies admit scrapes from these.
PROMETHEUS_POD_SELECTOR: Final = {"app.kubernetes.io/name": "prometheus"}

# The generator's Service exposes /metrics on its named `http` port; the ServiceMonitor selects it by these.
GENERATOR_PORT_NAME: Final = "http"
GENERATOR_METRICS_PATH: Final = "/metrics"
GENERATOR_APP: Final = "generator"
"""`app.kubernetes.io/name` of the generator's Service and pods."""

# Observability endpoints (fixed Helm fullnames, so that the gateway can route to Grafana by name).
GRAFANA_SERVICE: Final = "grafana"
GRAFANA_PORT: Final = 80
LOKI_SERVICE: Final = "loki"
LOKI_PORT: Final = 3100


def labels(app: str, component: str) -> dict[str, str]:
    """The recommended `app.kubernetes.io/*` labels for one of our workloads."""
    return {
        "app.kubernetes.io/name": app,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": "pulumi",
    }


def stateful_set_pods(name: str) -> str:
    """A PromQL regex (fully anchored) for exactly the pods of StatefulSet `name`, `<name>-<ordinal>`: not the pods
    of a Job or Deployment whose name merely starts with `<name>-` (such as the `ollama-preload-<hash>` Job's)."""
    return f"{name}-[0-9]+"


def service_url(service: str, namespace: str, port: int) -> str:
    """In-cluster URL of a Service."""
    return f"http://{service}.{namespace}.svc.cluster.local:{port}"


# Node pools (AKS): workloads select a pool by this label; GPU nodes carry a taint that only GPU pods tolerate.
NODE_POOL_LABEL: Final = "prompt2prod.io/pool"
GPU_TAINT: Final = f"{GPU_TAINT_KEY}={GPU_TAINT_VALUE}:{GPU_TAINT_EFFECT}"
