"""The platform's network flows as data: who talks to whom, on which port and protocol, and what must be denied.

Kubernetes endpoints are workloads (pods selected by labels in a namespace); endpoints outside the cluster are
stood for by one representative address (NetworkPolicies see addresses, never DNS names). `tests/platform`
checks the rendered NetworkPolicies against these with Kubernetes semantics, on both stacks; README's "Platform
contract" section is generated from them (`make docs`). Add a flow here when you add a network path, and a denied
one for a pod that must have none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from infra import pod_spec, topology
from infra.contract.apps import SAMPLE_APP, app_labels

Protocol = Literal["TCP", "UDP"]
Condition = Literal["always", "cloud mode", "publishing", "local-only mode", "in-cluster registry", "Key Vault"]
"""When a flow applies: `cloud mode` when the generator has the cloud key (`cloudLlmApiKey`), `publishing` when
`generator.publishing.owners` is set (with the `githubToken`), `local-only mode` with neither (the generator then
needs nothing outside the cluster), `in-cluster registry` when the dev registry runs in the cluster, `Key Vault` when
the secret store is Key Vault (prod: secrets reach pods through the CSI driver, and the API keys through the sync
pod). NetworkPolicies see addresses only: with either feature on, the generator's HTTPS egress covers every public
address, so the cloud provider and GitHub are both reachable; the app decides which one it calls."""
BudgetName = Literal["generation", "grafana"]
"""The time budget (`infra.contract.budgets`) that bounds a request along a flow."""


@dataclass(frozen=True, kw_only=True)
class Endpoint:
    """Pods selected by `labels` in `namespace`, or (`namespace` None) a host outside the cluster at `address`."""

    name: str
    namespace: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    address: str | None = None

    def __post_init__(self) -> None:
        if (self.namespace is None) == (self.address is None):
            raise ValueError(f"endpoint {self.name!r}: give a namespace (pods) or an address (outside the cluster)")

    @property
    def in_cluster(self) -> bool:
        return self.namespace is not None


@dataclass(frozen=True, kw_only=True)
class Flow:
    source: Endpoint
    destination: Endpoint
    port: int
    protocol: Protocol = "TCP"
    purpose: str
    when: Condition = "always"
    budget: BudgetName | None = None
    """Requests along this flow come through the gateway's routes: their timeouts must cover this budget."""


def _labels(app: str, component: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": app, "app.kubernetes.io/component": component}


GATEWAY_PROXY: Final = Endpoint(
    name="gateway proxy (Envoy)",
    namespace=topology.NAMESPACE_GATEWAY,
    labels={"gateway.networking.k8s.io/gateway-name": topology.GATEWAY_NAME},
)
KGATEWAY_CONTROLLER: Final = Endpoint(
    name="kgateway controller", namespace=topology.NAMESPACE_GATEWAY_SYSTEM, labels={"kgateway": "kgateway"}
)
GENERATOR: Final = Endpoint(
    name="generator", namespace=topology.NAMESPACE_GENERATOR, labels={"app.kubernetes.io/name": topology.GENERATOR_APP}
)
OLLAMA: Final = Endpoint(name="Ollama", namespace=topology.NAMESPACE_LLM, labels=_labels("ollama", "server"))
OLLAMA_PRELOAD: Final = Endpoint(
    name="model preload Job", namespace=topology.NAMESPACE_LLM, labels=_labels("ollama", "model-preload")
)
PROMETHEUS: Final = Endpoint(
    name="Prometheus", namespace=topology.NAMESPACE_MONITORING, labels=dict(topology.PROMETHEUS_POD_SELECTOR)
)
GRAFANA: Final = Endpoint(
    name="Grafana", namespace=topology.NAMESPACE_MONITORING, labels={"app.kubernetes.io/name": "grafana"}
)
LOKI: Final = Endpoint(
    name="Loki", namespace=topology.NAMESPACE_MONITORING, labels={"app.kubernetes.io/name": topology.LOKI_SERVICE}
)
ALLOY: Final = Endpoint(
    name="Alloy", namespace=topology.NAMESPACE_MONITORING, labels={"app.kubernetes.io/name": "alloy"}
)
CLUSTER_DNS: Final = Endpoint(
    name="cluster DNS (CoreDNS)", namespace=pod_spec.DNS_NAMESPACE, labels=dict(pod_spec.DNS_POD_SELECTOR)
)
IN_CLUSTER_REGISTRY: Final = Endpoint(
    name="in-cluster registry", namespace=topology.NAMESPACE_REGISTRY, labels=_labels("registry", "image-registry")
)
GENERATED_APP: Final = Endpoint(
    name="a generated app", namespace=topology.NAMESPACE_APPS, labels=app_labels(SAMPLE_APP)
)
"""One app as generated projects deploy it (`infra.contract.apps`): the checks host it on each render."""
API_KEY_SYNC: Final = Endpoint(
    name="API key sync pod",
    namespace=topology.NAMESPACE_GATEWAY,
    labels={"app.kubernetes.io/name": topology.API_KEY_SYNC},
)
# Addresses outside the cluster, from the documentation ranges (RFC 5737) for public hosts.
NODE: Final = Endpoint(name="K3s node (containerd)", address="192.168.56.10")
INTERNET_CLIENT: Final = Endpoint(name="a client on the internet", address="203.0.113.7")
MODEL_REGISTRY: Final = Endpoint(name="Ollama's model registry and CDN (HTTPS)", address="198.51.100.20")
CLOUD_LLM: Final = Endpoint(name="the cloud LLM provider (HTTPS)", address="198.51.100.30")
INSTANCE_METADATA: Final = Endpoint(name="the cloud's instance metadata endpoint", address="169.254.169.254")
KEY_VAULT: Final = Endpoint(name="Azure Key Vault (HTTPS)", address="198.51.100.40")
GITHUB_API: Final = Endpoint(name="the GitHub API (HTTPS)", address="198.51.100.50")
ANY_PORT: Final = 8080
"""The port a denied flow to a pod that listens on none is tried on (a deny-all policy refuses every port)."""


def _dns(source: Endpoint) -> list[Flow]:
    return [
        Flow(source=source, destination=CLUSTER_DNS, port=53, protocol=protocol, purpose="name resolution")
        for protocol in ("UDP", "TCP")
    ]


_SYNC_POD_NEVER_REACHES: tuple[tuple[Endpoint, int, Protocol], ...] = (
    (CLUSTER_DNS, 53, "UDP"),
    (CLUSTER_DNS, 53, "TCP"),
    (KEY_VAULT, 443, "TCP"),
    (INSTANCE_METADATA, 80, "TCP"),
)

REQUIRED_FLOWS: Final[tuple[Flow, ...]] = (
    Flow(
        source=GATEWAY_PROXY,
        destination=GENERATOR,
        port=topology.GENERATOR_PORT,
        purpose="the generator API, and the LLM API in cloud mode",
        budget="generation",
    ),
    Flow(
        source=GATEWAY_PROXY,
        destination=OLLAMA,
        port=topology.OLLAMA_PORT,
        purpose="the LLM API in local mode",
        budget="generation",
    ),
    Flow(
        source=GATEWAY_PROXY,
        destination=GRAFANA,
        port=topology.GRAFANA_CONTAINER_PORT,
        purpose="Grafana's public route",
        budget="grafana",
    ),
    Flow(
        source=GATEWAY_PROXY,
        destination=GENERATED_APP,
        port=topology.APPS_PORT,
        purpose="generated apps' public sites (their own routes on the apps listener)",
    ),
    Flow(source=GATEWAY_PROXY, destination=KGATEWAY_CONTROLLER, port=9977, purpose="xDS configuration"),
    *_dns(GATEWAY_PROXY),
    Flow(source=GENERATOR, destination=OLLAMA, port=topology.OLLAMA_PORT, purpose="local generations"),
    *_dns(GENERATOR),
    Flow(source=GENERATOR, destination=CLOUD_LLM, port=443, purpose="cloud generations", when="cloud mode"),
    Flow(
        source=GENERATOR,
        destination=GITHUB_API,
        port=443,
        purpose="publishes generated projects (repositories, commits, pull requests)",
        when="publishing",
    ),
    Flow(source=OLLAMA, destination=MODEL_REGISTRY, port=443, purpose="model downloads"),
    *_dns(OLLAMA),
    Flow(source=OLLAMA_PRELOAD, destination=OLLAMA, port=topology.OLLAMA_PORT, purpose="asks the server to pull"),
    *_dns(OLLAMA_PRELOAD),
    Flow(source=PROMETHEUS, destination=GENERATOR, port=topology.GENERATOR_PORT, purpose="scrapes /metrics"),
    Flow(source=PROMETHEUS, destination=GATEWAY_PROXY, port=9091, purpose="scrapes Envoy's stats"),
    Flow(source=PROMETHEUS, destination=KGATEWAY_CONTROLLER, port=9092, purpose="scrapes the controller"),
    Flow(source=ALLOY, destination=LOKI, port=topology.LOKI_PORT, purpose="pushes pod logs"),
    Flow(source=GRAFANA, destination=LOKI, port=topology.LOKI_PORT, purpose="the Loki data source"),
    Flow(source=GRAFANA, destination=PROMETHEUS, port=9090, purpose="the Prometheus data source"),
    Flow(
        source=NODE,
        destination=IN_CLUSTER_REGISTRY,
        port=5000,
        purpose="containerd pulls images through the NodePort",
        when="in-cluster registry",
    ),
)

DENIED_FLOWS: Final[tuple[Flow, ...]] = (
    Flow(
        source=INTERNET_CLIENT,
        destination=OLLAMA,
        port=topology.OLLAMA_PORT,
        purpose="Ollama's API (pull, create, delete) is reached only through the gateway's routes",
    ),
    Flow(
        source=INTERNET_CLIENT,
        destination=GENERATOR,
        port=topology.GENERATOR_PORT,
        purpose="the generator is reached only through the gateway",
    ),
    Flow(
        source=GENERATOR,
        destination=CLOUD_LLM,
        port=443,
        purpose="without the cloud key or publishing the generator never leaves the cluster",
        when="local-only mode",
    ),
    Flow(
        source=GENERATOR,
        destination=GITHUB_API,
        port=443,
        purpose="without the cloud key or publishing the generator never leaves the cluster",
        when="local-only mode",
    ),
    Flow(
        source=GENERATED_APP,
        destination=GENERATOR,
        port=topology.GENERATOR_PORT,
        purpose="a generated app reaches no platform service unless its own policy opens the way",
    ),
    Flow(
        source=GENERATED_APP,
        destination=INSTANCE_METADATA,
        port=80,
        purpose="no workload reads node credentials",
    ),
    Flow(
        source=INTERNET_CLIENT,
        destination=GENERATED_APP,
        port=topology.APPS_PORT,
        purpose="a generated app is reached only through the gateway",
    ),
    Flow(source=GENERATOR, destination=INSTANCE_METADATA, port=80, purpose="no workload reads node credentials"),
    Flow(source=OLLAMA, destination=GENERATOR, port=topology.GENERATOR_PORT, purpose="Ollama opens no way back"),
    Flow(source=OLLAMA, destination=INSTANCE_METADATA, port=80, purpose="no workload reads node credentials"),
    Flow(
        source=OLLAMA_PRELOAD,
        destination=MODEL_REGISTRY,
        port=443,
        purpose="the preload only asks the server; it downloads nothing itself",
    ),
    Flow(
        source=GATEWAY_PROXY,
        destination=LOKI,
        port=topology.LOKI_PORT,
        purpose="the public entry point reaches only the routes' backends",
    ),
    Flow(source=GATEWAY_PROXY, destination=INSTANCE_METADATA, port=80, purpose="no workload reads node credentials"),
    Flow(
        source=IN_CLUSTER_REGISTRY,
        destination=MODEL_REGISTRY,
        port=443,
        purpose="the registry opens no connection",
        when="in-cluster registry",
    ),
    *(
        Flow(
            source=API_KEY_SYNC,
            destination=destination,
            port=port,
            protocol=protocol,
            purpose="it only holds the keys' mount: the CSI driver reads Key Vault from the node, not from the pod",
            when="Key Vault",
        )
        for destination, port, protocol in _SYNC_POD_NEVER_REACHES
    ),
    Flow(
        source=GATEWAY_PROXY,
        destination=API_KEY_SYNC,
        port=ANY_PORT,
        purpose="the pod holding every API key serves nothing, not even inside the cluster",
        when="Key Vault",
    ),
)
