"""Every metric name our dashboards and alerts may use, and where it comes from.

The generator's names are the service's contract (docs/service.md, "Metrics and logs"); a test reads the real
service's `/metrics` and checks that each one below is exposed. Third-party names are documented here with their
source, because no binary that exposes them runs on a build machine: a PromQL expression naming anything else is
rejected by the tests.
"""

from __future__ import annotations

from typing import Final

GENERATOR_HISTOGRAMS: Final = frozenset(
    {"generator_http_request_duration_seconds", "generator_llm_request_duration_seconds", "generator_check_seconds"}
)
GENERATOR_METRICS: Final = frozenset(
    {
        "generator_http_requests_total",  # counter {route, method, status}
        "generator_llm_tokens_total",  # counter {mode, model, direction}
        "generator_llm_errors_total",  # counter {mode, reason}
        "generator_inflight_generations",  # gauge
        "generator_cloud_requests_total",  # counter {client, result} (app/budget.py)
        "generator_publishes_total",  # counter {outcome} (app/publish/service.py)
        "generator_checks_total",  # counter {tool, result} (app/checks)
        *(f"{name}_{suffix}" for name in GENERATOR_HISTOGRAMS for suffix in ("bucket", "sum", "count")),
    }
)

# kube-state-metrics (bundled by kube-prometheus-stack): docs/metrics/workload/pod-metrics.md upstream.
KUBE_STATE_METRICS: Final = frozenset(
    {
        "kube_pod_status_ready",  # {namespace, pod, condition="true|false|unknown"}
        "kube_pod_container_status_waiting_reason",  # {namespace, pod, container, reason}
        "kube_pod_container_status_restarts_total",  # {namespace, pod, container}
        "kube_pod_info",  # {namespace, pod, node}
    }
)

# kubelet, scraped by kube-prometheus-stack's `kubelet` ServiceMonitor (pkg/kubelet/metrics/collectors).
KUBELET: Final = frozenset(
    {
        "kubelet_volume_stats_used_bytes",  # {namespace, persistentvolumeclaim}
        "kubelet_volume_stats_capacity_bytes",
        "kubelet_volume_stats_available_bytes",
        "container_cpu_usage_seconds_total",  # cAdvisor {namespace, pod, container}
        "container_memory_working_set_bytes",
    }
)

# Envoy proxies of the kgateway Gateway (`/stats/prometheus` behind :9091/metrics); Envoy's statistics docs,
# `http.<stat_prefix>.downstream_rq_xx` with the response code class as the `envoy_response_code_class` tag.
ENVOY: Final = frozenset(
    {
        "envoy_http_downstream_rq_xx",  # {envoy_response_code_class, envoy_http_conn_manager_prefix}
        "envoy_http_downstream_rq_total",
        "envoy_http_downstream_rq_time_bucket",  # histogram in milliseconds
        "envoy_http_downstream_cx_active",
        "envoy_cluster_upstream_rq_xx",  # {envoy_cluster_name, envoy_response_code_class}
    }
)

# kgateway control plane (:9092/metrics): its docs' control-plane metrics reference.
KGATEWAY: Final = frozenset(
    {
        "kgateway_controller_reconciliations_total",  # {controller, name, namespace, result}
        "kgateway_controller_reconcile_duration_seconds_bucket",
    }
)

# Series every Prometheus target produces itself.
PROMETHEUS: Final = frozenset({"up", "scrape_duration_seconds", "ALERTS"})

KNOWN_METRICS: Final = GENERATOR_METRICS | KUBE_STATE_METRICS | KUBELET | ENVOY | KGATEWAY | PROMETHEUS
