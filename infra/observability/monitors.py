"""What Prometheus scrapes and evaluates, as pure data: ServiceMonitor/PodMonitor/PrometheusRule bodies.

`infra.observability.observability` declares them as custom resources; `scrape_config` turns a monitor into the
equivalent plain Prometheus scrape job, so the integration test scrapes the real generator with the same path and
port naming the cluster uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from infra import topology
from infra.generator.specs import service_monitor_spec

MONITORING_API = "monitoring.coreos.com/v1"


@dataclass(frozen=True, kw_only=True)
class Monitor:
    kind: str  # ServiceMonitor | PodMonitor
    name: str
    namespace: str
    spec: dict[str, Any]


def generator_service_monitor() -> Monitor:
    """The ServiceMonitor the generator component declares (`infra.generator.specs.service_monitor_spec`):
    port `http`, `/metrics`, one `generator` job for both tracks. Exposed here so tests scrape exactly what the
    cluster does."""
    return Monitor(
        kind="ServiceMonitor",
        name=topology.GENERATOR_SERVICE,
        namespace=topology.NAMESPACE_GENERATOR,
        spec=service_monitor_spec(),
    )


def gateway_proxy_pod_monitor(interval: str) -> Monitor:
    """Envoy of our Gateway: kgateway names its stats port `http-monitoring` (9091, `/metrics`) on the proxy pods."""
    return Monitor(
        kind="PodMonitor",
        name=f"{topology.GATEWAY_NAME}-gateway-proxy",
        namespace=topology.NAMESPACE_GATEWAY,
        spec={
            "selector": {"matchLabels": {"gateway.networking.k8s.io/gateway-name": topology.GATEWAY_NAME}},
            "podMetricsEndpoints": [{"port": "http-monitoring", "path": "/metrics", "interval": interval}],
        },
    )


def kgateway_controller_pod_monitor(interval: str) -> Monitor:
    """The kgateway control plane serves its controller metrics on :9092/metrics (unnamed port in its chart)."""
    return Monitor(
        kind="PodMonitor",
        name="kgateway-controller",
        namespace=topology.NAMESPACE_GATEWAY_SYSTEM,
        spec={
            "selector": {"matchLabels": {"kgateway": "kgateway"}},
            "podMetricsEndpoints": [{"portNumber": 9092, "path": "/metrics", "interval": interval}],
        },
    )


def platform_monitors(interval: str) -> list[Monitor]:
    """The monitors this component declares. The generator declares its own ServiceMonitor (it knows its canary
    track); Ollama has no /metrics: its signals come from the generator and kube-state-metrics. The monitoring
    charts monitor themselves (their own `serviceMonitor` values)."""
    return [
        gateway_proxy_pod_monitor(interval),
        kgateway_controller_pod_monitor(interval),
    ]


def scrape_config(monitor: Monitor, targets: Sequence[str], interval: str) -> dict[str, Any]:
    """The plain Prometheus scrape job equivalent to `monitor` for static `targets` (host:port)."""
    endpoints = monitor.spec.get("endpoints") or monitor.spec["podMetricsEndpoints"]
    endpoint = endpoints[0]
    return {
        # The operator names the job after the Service; the static job keeps that name and the labels it adds.
        "job_name": monitor.name,
        "metrics_path": endpoint.get("path", "/metrics"),
        "scheme": endpoint.get("scheme", "http"),
        "scrape_interval": interval,
        "static_configs": [
            {"targets": list(targets), "labels": {"namespace": monitor.namespace, "service": monitor.name}}
        ],
    }
