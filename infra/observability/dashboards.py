"""Grafana dashboards as code (grafana-foundation-sdk): pure functions from settings to dashboard JSON text.

Four dashboards, delivered by `infra.observability.observability` as ConfigMaps for Grafana's dashboard sidecar:
generator (RED + LLM latency/tokens by mode and model), Ollama and its model volume, the gateway, and a
platform overview whose links come from the stack outputs. Every PromQL expression uses only metric names
from `infra.observability.metric_catalog` or series recorded by `infra.observability.slo_rules` (checked by the
tests with promql-parser).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import logs, loki, prometheus, stat, text, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DashboardLinkType, DataSourceRef
from grafana_foundation_sdk.models.text import TextMode

from infra import topology
from infra.observability import slo_rules

PROMETHEUS = DataSourceRef(type_val="prometheus", uid="prometheus")
"""kube-prometheus-stack's provisioned datasource (`grafana.sidecar.datasources.uid`)."""
LOKI = DataSourceRef(type_val="loki", uid="loki")
"""Provisioned by `infra.observability.values.kube_prometheus_stack_values` (`additionalDataSources`)."""
TAG = "prompt2prod"
RATE = "$__rate_interval"


@dataclass(frozen=True)
class DashboardSpec:
    uid: str
    title: str


GENERATOR = DashboardSpec("prompt2prod-generator", "Generator service")
OLLAMA = DashboardSpec("prompt2prod-ollama", "Ollama and model volume")
GATEWAY = DashboardSpec("prompt2prod-gateway", "Gateway")
OVERVIEW = DashboardSpec("prompt2prod-overview", "Platform overview")
ALL = {"generator": GENERATOR, "ollama": OLLAMA, "gateway": GATEWAY, "overview": OVERVIEW}


def _query(expr: str, legend: str = "__auto", ref: str = "A") -> prometheus.Dataquery:
    return prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(ref).datasource(PROMETHEUS)


def _series(title: str, unit: str, *queries: prometheus.Dataquery, width: int = 12) -> timeseries.Panel:
    panel = timeseries.Panel().title(title).unit(unit).datasource(PROMETHEUS).height(8).span(width)
    for query in queries:
        panel = panel.with_target(query)
    return panel


def _stat(title: str, unit: str, expr: str, width: int = 6) -> stat.Panel:
    return stat.Panel().title(title).unit(unit).datasource(PROMETHEUS).height(4).span(width).with_target(_query(expr))


def _base(spec: DashboardSpec) -> db.Dashboard:
    return (
        db.Dashboard(spec.title)
        .uid(spec.uid)
        .tags([TAG])
        .refresh("30s")
        .time("now-3h", "now")
        .timezone("browser")
        .editable()
        .link(db.DashboardLink("Platform dashboards").type(DashboardLinkType.DASHBOARDS).tags([TAG]).as_dropdown(True))
    )


def _encode(builder: db.Dashboard) -> str:
    return JSONEncoder(sort_keys=True, indent=2).encode(builder.build())


def generator_dashboard() -> str:
    user = f'route!~"{slo_rules.NOT_USER_TRAFFIC}"'
    return _encode(
        _base(GENERATOR)
        .with_row(db.Row("Requests (RED)"))
        .with_panel(
            _series("Request rate by route and status", "reqps", _query(slo_rules.REQUEST_RATE, "{{route}} {{status}}"))
        )
        .with_panel(
            _series(
                "5xx ratio (SLO windows)",
                "percentunit",
                _query(slo_rules.error_ratio_record("5m"), "5m", "A"),
                _query(slo_rules.error_ratio_record("1h"), "1h", "B"),
                _query(slo_rules.error_ratio_record("6h"), "6h", "C"),
            )
        )
        .with_panel(_series("p95 latency by route", "s", _query(slo_rules.HTTP_P95, "{{route}}")))
        .with_panel(
            _stat(
                "Availability, 30 days",
                "percentunit",
                f'1 - (sum(increase(generator_http_requests_total{{status=~"5..",{user}}}[30d])) or vector(0))'
                f" / sum(increase(generator_http_requests_total{{{user}}}[30d]))",
            )
        )
        .with_panel(_stat("Generations in flight", "short", "sum(generator_inflight_generations)"))
        .with_row(db.Row("LLM"))
        .with_panel(
            _series(
                "LLM latency p95 by mode and model",
                "s",
                _query(
                    "histogram_quantile(0.95, sum by (le, mode, model) "
                    f"(rate(generator_llm_request_duration_seconds_bucket[{RATE}])))",
                    "{{mode}} {{model}}",
                ),
            )
        )
        .with_panel(
            _series(
                "Tokens per second by mode, model and direction",
                "short",
                _query(
                    f"sum by (mode, model, direction) (rate(generator_llm_tokens_total[{RATE}]))",
                    "{{mode}} {{model}} {{direction}}",
                ),
            )
        )
        .with_panel(
            _series(
                "LLM errors by mode and reason",
                "short",
                _query(f"sum by (mode, reason) (rate(generator_llm_errors_total[{RATE}]))", "{{mode}} {{reason}}"),
            )
        )
        .with_row(db.Row("Cloud spend (budget guard)"))
        .with_panel(
            _series(
                "Cloud generations per client and budget result, last hour",
                "short",
                _query(
                    "sum by (client, result) (increase(generator_cloud_requests_total[1h]))",
                    "{{client}} {{result}}",
                ),
            )
        )
        .with_panel(
            _series(
                "Cloud tokens per second by model and direction",
                "short",
                _query(
                    f'sum by (model, direction) (rate(generator_llm_tokens_total{{mode="cloud"}}[{RATE}]))',
                    "{{model}} {{direction}}",
                ),
            )
        )
        .with_row(db.Row("Checks on generated projects"))
        .with_panel(
            _series(
                "Checks per second by tool and result (failed: a problem found; error: the tool could not say)",
                "short",
                _query(f"sum by (tool, result) (rate(generator_checks_total[{RATE}]))", "{{tool}} {{result}}"),
            )
        )
        .with_panel(
            _series(
                "Tool run time p95 by tool",
                "s",
                _query(
                    f"histogram_quantile(0.95, sum by (le, tool) (rate(generator_check_seconds_bucket[{RATE}])))",
                    "{{tool}}",
                ),
            )
        )
        .with_row(db.Row("Logs"))
        .with_panel(
            logs.Panel()
            .title("Generator logs (JSON fields parsed)")
            .datasource(LOKI)
            .height(10)
            .span(24)
            .with_target(
                loki.Dataquery()
                .expr(f'{{namespace="{topology.NAMESPACE_GENERATOR}"}} | json')
                .ref_id("A")
                .datasource(LOKI)
            )
        )
    )


def ollama_dashboard() -> str:
    llm = topology.NAMESPACE_LLM
    pods = f'namespace="{llm}",pod=~"{topology.stateful_set_pods(topology.OLLAMA_STATEFULSET)}"'
    return _encode(
        _base(OLLAMA)
        .with_row(db.Row("Ollama"))
        .with_panel(_stat("Ready pods", "short", f'sum(kube_pod_status_ready{{{pods},condition="true"}}) or vector(0)'))
        .with_panel(
            _stat("Restarts (1h)", "short", f"sum(increase(kube_pod_container_status_restarts_total{{{pods}}}[1h]))")
        )
        .with_panel(_stat("Local LLM p95", "s", f'{slo_rules.LLM_P95}{{mode="local"}}'))
        .with_panel(
            _series(
                "CPU by pod",
                "cores",
                _query(
                    f'sum by (pod) (rate(container_cpu_usage_seconds_total{{{pods},container!=""}}[{RATE}]))', "{{pod}}"
                ),
            )
        )
        .with_panel(
            _series(
                "Memory working set by pod",
                "bytes",
                _query(f'sum by (pod) (container_memory_working_set_bytes{{{pods},container!=""}})', "{{pod}}"),
            )
        )
        .with_row(db.Row("Model volume"))
        .with_panel(_series("Volume used", "percentunit", _query(slo_rules.VOLUME_USED, "{{persistentvolumeclaim}}")))
        .with_panel(
            _series(
                "Volume free",
                "bytes",
                _query(f'kubelet_volume_stats_available_bytes{{namespace="{llm}"}}', "{{persistentvolumeclaim}}"),
            )
        )
    )


def gateway_dashboard() -> str:
    return _encode(
        _base(GATEWAY)
        .with_row(db.Row("Envoy proxy"))
        .with_panel(
            _series(
                "Responses by code class",
                "reqps",
                _query(
                    f"sum by (envoy_response_code_class) (rate(envoy_http_downstream_rq_xx[{RATE}]))",
                    "{{envoy_response_code_class}}xx",
                ),
            )
        )
        .with_panel(_series("5xx ratio", "percentunit", _query(slo_rules.GATEWAY_5XX, "5xx")))
        .with_panel(
            _series(
                "Downstream latency p95",
                "ms",
                _query(
                    f"histogram_quantile(0.95, sum by (le) (rate(envoy_http_downstream_rq_time_bucket[{RATE}])))", "p95"
                ),
            )
        )
        .with_panel(
            _series("Active connections", "short", _query("sum(envoy_http_downstream_cx_active)", "connections"))
        )
        .with_panel(
            _series(
                "Upstream 5xx by backend",
                "reqps",
                _query(
                    'sum by (envoy_cluster_name) (rate(envoy_cluster_upstream_rq_xx{envoy_response_code_class="5"}'
                    f"[{RATE}]))",
                    "{{envoy_cluster_name}}",
                ),
            )
        )
        .with_row(db.Row("kgateway control plane"))
        .with_panel(
            _series(
                "Reconciliations by controller and result",
                "short",
                _query(
                    f"sum by (controller, result) (rate(kgateway_controller_reconciliations_total[{RATE}]))",
                    "{{controller}} {{result}}",
                ),
            )
        )
    )


def overview_dashboard(links: Mapping[str, str]) -> str:
    """The platform overview; `links` (title -> URL) come from stack outputs, e.g. the generator's public URL."""
    markdown = "\n".join(f"- [{title}]({url})" for title, url in sorted(links.items())) or "No links exported."
    builder = (
        _base(OVERVIEW)
        .with_row(db.Row("Health"))
        .with_panel(_stat("Generator 5xx ratio (1h)", "percentunit", slo_rules.error_ratio_record("1h")))
        .with_panel(_stat("Firing alerts", "short", 'count(ALERTS{alertstate="firing"}) or vector(0)'))
        .with_panel(_stat("Targets down", "short", "count(up == 0) or vector(0)"))
        .with_panel(
            _stat(
                "Crash-looping containers",
                "short",
                'count(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"} == 1) or vector(0)',
            )
        )
        .with_row(db.Row("Where things are"))
        .with_panel(text.Panel().title("Platform links").mode(TextMode.MARKDOWN).content(markdown).height(8).span(24))
    )
    for title, url in sorted(links.items()):
        builder = builder.link(db.DashboardLink(title).type(DashboardLinkType.LINK).url(url).target_blank(True))
    return _encode(builder)


def static_dashboards() -> dict[str, str]:
    """The dashboards that need no deployment-time input, by short name."""
    return {"generator": generator_dashboard(), "ollama": ollama_dashboard(), "gateway": gateway_dashboard()}
