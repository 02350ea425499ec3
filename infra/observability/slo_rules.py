"""SLO alerts and recording rules as data: the `spec.groups` of our PrometheusRule, built by pure functions.

The same groups are written to a rules file for `promtool check rules` / `promtool test rules` and for the
integration test's real Prometheus, so what is tested is byte for byte what the cluster evaluates. Only the
`for:` delays are a parameter (`AlertDelays`): a test may shorten them, the expressions never change.

Availability follows the multi-window, multi-burn-rate recipe of the Google SRE workbook ("Alerting on SLOs"):
a 30-day error budget of `1 - target`, paged when 2 % of it burns in an hour (14.4x over 1h, confirmed over 5m)
or 5 % in six hours (6x over 6h/30m), ticketed at 10 % in three days (1x over 3d/6h) or 3x over 1d/2h.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from infra import topology
from infra.config.observability import ObservabilityConfig

Rule = dict[str, Any]
RuleGroup = dict[str, Any]

# Probes and the scrape itself are not user traffic: they stay out of the availability and latency SLIs.
NOT_USER_TRAFFIC = "/health|/ready|/metrics"
GENERATION_ROUTE = "/generate"
WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
PLATFORM_NAMESPACES = (
    topology.NAMESPACE_LLM,
    topology.NAMESPACE_GENERATOR,
    topology.NAMESPACE_GATEWAY,
    topology.NAMESPACE_GATEWAY_SYSTEM,
    topology.NAMESPACE_MONITORING,
)


@dataclass(frozen=True, kw_only=True)
class BurnRate:
    severity: str
    factor: float
    long_window: str
    short_window: str


BURN_RATES = (
    BurnRate(severity="page", factor=14.4, long_window="1h", short_window="5m"),
    BurnRate(severity="page", factor=6, long_window="6h", short_window="30m"),
    BurnRate(severity="ticket", factor=3, long_window="1d", short_window="2h"),
    BurnRate(severity="ticket", factor=1, long_window="3d", short_window="6h"),
)


@dataclass(frozen=True, kw_only=True)
class SloTargets:
    availability: float = 0.99
    latency_seconds: float = 0.5
    llm_latency_seconds: Mapping[str, float] = field(default_factory=lambda: {"local": 120.0, "cloud": 30.0})
    volume_full_ratio: float = 0.85
    gateway_error_ratio: float = 0.05
    cloud_budget_per_hour: float = 100.0
    """A client's hourly cloud budget, all generator pods together (`generator.cloud.requestsPerHour`)."""
    cloud_budget_warning_ratio: float = 0.8

    @classmethod
    def from_config(cls, config: ObservabilityConfig, cloud_budget_per_hour: float = 100.0) -> SloTargets:
        return cls(
            availability=config.slo_availability_target,
            latency_seconds=config.latency_slo_seconds,
            llm_latency_seconds=config.llm_latency_slo_seconds.model_dump(),
            volume_full_ratio=config.volume_full_ratio,
            gateway_error_ratio=config.gateway_error_ratio,
            cloud_budget_per_hour=cloud_budget_per_hour,
        )


@dataclass(frozen=True, kw_only=True)
class AlertDelays:
    """How long a condition must hold before an alert fires (`for:`)."""

    page: str = "2m"
    ticket: str = "15m"
    warning: str = "10m"


def error_ratio_record(window: str) -> str:
    return f"generator:http_errors:ratio_rate{window}"


HTTP_P95 = "route:generator_http_request_duration_seconds:p95_rate5m"
LLM_P95 = "mode:generator_llm_request_duration_seconds:p95_rate5m"
REQUEST_RATE = "route_status:generator_http_requests:rate5m"
LLM_USAGE_RATE = "mode_model_direction:generator_llm_tokens:rate5m"
VOLUME_USED = "namespace_persistentvolumeclaim:kubelet_volume_stats_used:ratio"
GATEWAY_5XX = "gateway:envoy_http_downstream_rq_5xx:ratio_rate5m"


def _number(value: float) -> str:
    return f"{value:.6g}"


def generator_recording_rules() -> list[Rule]:
    user = f'route!~"{NOT_USER_TRAFFIC}"'
    rules: list[Rule] = [
        {
            "record": error_ratio_record(window),
            # `or vector(0)`: with traffic and no 5xx the ratio is 0, not "no data".
            "expr": (
                f'(sum(rate(generator_http_requests_total{{status=~"5..",{user}}}[{window}])) or vector(0))'
                f" / sum(rate(generator_http_requests_total{{{user}}}[{window}]))"
            ),
        }
        for window in WINDOWS
    ]
    rules += [
        {
            "record": HTTP_P95,
            "expr": (
                "histogram_quantile(0.95, sum by (le, route) "
                f'(rate(generator_http_request_duration_seconds_bucket{{route!~"{NOT_USER_TRAFFIC}"}}[5m])))'
            ),
        },
        {
            "record": LLM_P95,
            "expr": (
                "histogram_quantile(0.95, sum by (le, mode) (rate(generator_llm_request_duration_seconds_bucket[5m])))"
            ),
        },
        {"record": REQUEST_RATE, "expr": "sum by (route, status) (rate(generator_http_requests_total[5m]))"},
        {"record": LLM_USAGE_RATE, "expr": "sum by (mode, model, direction) (rate(generator_llm_tokens_total[5m]))"},
    ]
    return rules


def availability_alerts(targets: SloTargets, delays: AlertDelays) -> list[Rule]:
    budget = 1 - targets.availability
    alerts = []
    for burn in BURN_RATES:
        threshold = _number(burn.factor * budget)
        alerts.append(
            {
                "alert": "GeneratorErrorBudgetBurn",
                "expr": (
                    f"{error_ratio_record(burn.long_window)} > {threshold}"
                    f" and {error_ratio_record(burn.short_window)} > {threshold}"
                ),
                "for": delays.page if burn.severity == "page" else delays.ticket,
                "labels": {
                    "severity": burn.severity,
                    "slo": "generator-availability",
                    "long_window": burn.long_window,
                    "short_window": burn.short_window,
                },
                "annotations": {
                    "summary": (
                        f"Generator is burning its 30-day error budget {_number(burn.factor)}x too fast "
                        f"({burn.long_window}/{burn.short_window} windows)"
                    ),
                    "description": (
                        f"5xx ratio over {burn.long_window} is {{{{ $value | humanizePercentage }}}}; the SLO allows "
                        f"{_number(budget * 100)}% over 30 days."
                    ),
                },
            }
        )
    return alerts


def latency_alerts(targets: SloTargets, delays: AlertDelays) -> list[Rule]:
    alerts: list[Rule] = [
        {
            "alert": "GeneratorLatencyHigh",
            "expr": f'{HTTP_P95}{{route!="{GENERATION_ROUTE}"}} > {_number(targets.latency_seconds)}',
            "for": delays.warning,
            "labels": {"severity": "ticket", "slo": "generator-latency"},
            "annotations": {
                "summary": "Generator p95 latency of {{ $labels.route }} is above its objective",
                "description": (
                    f"p95 is {{{{ $value | humanizeDuration }}}} (objective {_number(targets.latency_seconds)}s)."
                ),
            },
        }
    ]
    for mode, seconds in sorted(targets.llm_latency_seconds.items()):
        alerts.append(
            {
                "alert": "GeneratorLlmLatencyHigh",
                "expr": f'{LLM_P95}{{mode="{mode}"}} > {_number(seconds)}',
                "for": delays.warning,
                "labels": {"severity": "ticket", "slo": "llm-latency", "mode": mode},
                "annotations": {
                    "summary": f"{mode} LLM generations are slow",
                    "description": f"p95 is {{{{ $value | humanizeDuration }}}} (objective {_number(seconds)}s).",
                },
            }
        )
    return alerts


def platform_recording_rules() -> list[Rule]:
    llm = topology.NAMESPACE_LLM
    return [
        {
            "record": VOLUME_USED,
            "expr": (
                f'kubelet_volume_stats_used_bytes{{namespace="{llm}"}}'
                f' / kubelet_volume_stats_capacity_bytes{{namespace="{llm}"}}'
            ),
        },
        {
            "record": GATEWAY_5XX,
            "expr": (
                '(sum(rate(envoy_http_downstream_rq_xx{envoy_response_code_class="5"}[5m])) or vector(0))'
                " / sum(rate(envoy_http_downstream_rq_total[5m]))"
            ),
        },
    ]


def platform_alerts(targets: SloTargets, delays: AlertDelays) -> list[Rule]:
    namespaces = "|".join(PLATFORM_NAMESPACES)
    ollama_ready = (
        f'kube_pod_status_ready{{namespace="{topology.NAMESPACE_LLM}",'
        f'pod=~"{topology.stateful_set_pods(topology.OLLAMA_STATEFULSET)}",condition="true"}}'
    )
    return [
        {
            "alert": "OllamaNotReady",
            # `or vector(0)`: no Ollama pod at all is the worst case of "not ready", not "no data".
            "expr": f"(sum({ollama_ready}) or vector(0)) < 1",
            "for": delays.warning,
            "labels": {"severity": "page"},
            "annotations": {
                "summary": "No Ollama pod is ready",
                "description": "Local generations fail until an Ollama pod in namespace llm is ready again.",
            },
        },
        {
            "alert": "ModelVolumeAlmostFull",
            "expr": f"{VOLUME_USED} > {_number(targets.volume_full_ratio)}",
            "for": delays.warning,
            "labels": {"severity": "ticket"},
            "annotations": {
                "summary": "Model volume {{ $labels.persistentvolumeclaim }} is almost full",
                "description": (
                    f"{{{{ $value | humanizePercentage }}}} used (threshold "
                    f"{_number(targets.volume_full_ratio * 100)}%): the next model pull will fail."
                ),
            },
        },
        {
            "alert": "PodCrashLooping",
            "expr": (
                "max by (namespace, pod, container) (max_over_time(kube_pod_container_status_waiting_reason"
                f'{{reason="CrashLoopBackOff",namespace=~"{namespaces}"}}[5m])) >= 1'
            ),
            "for": delays.warning,
            "labels": {"severity": "ticket"},
            "annotations": {
                "summary": "{{ $labels.namespace }}/{{ $labels.pod }} ({{ $labels.container }}) is crash-looping",
                "description": "The container has been in CrashLoopBackOff for the whole alert delay.",
            },
        },
        {
            "alert": "GatewayHigh5xxRatio",
            "expr": f"{GATEWAY_5XX} > {_number(targets.gateway_error_ratio)}",
            "for": delays.warning,
            "labels": {"severity": "page"},
            "annotations": {
                "summary": "The public gateway answers too many 5xx",
                "description": (
                    f"{{{{ $value | humanizePercentage }}}} of responses are 5xx "
                    f"(threshold {_number(targets.gateway_error_ratio * 100)}%)."
                ),
            },
        },
    ]


def cloud_spend_alerts(targets: SloTargets, delays: AlertDelays) -> list[Rule]:
    """The cloud budget guard's signals (app/budget.py): a client close to its hourly budget (a leaked key spends
    fast), and cloud requests that reached the generator without the gateway's client header (something inside
    the cluster calling it directly, or a gateway whose API-key policy stopped applying)."""
    threshold = targets.cloud_budget_per_hour * targets.cloud_budget_warning_ratio
    return [
        {
            "alert": "CloudBudgetNearlySpent",
            "expr": (
                'sum by (client) (increase(generator_cloud_requests_total{result="admitted"}[1h]))'
                f" > {_number(threshold)}"
            ),
            "for": delays.warning,
            "labels": {"severity": "ticket"},
            "annotations": {
                "summary": "Client {{ $labels.client }} spent most of its hourly cloud budget",
                "description": (
                    f"{{{{ $value | humanize }}}} cloud generations in the last hour (budget "
                    f"{_number(targets.cloud_budget_per_hour)}): past it the client gets 429. If unexpected, "
                    "rotate its API key."
                ),
            },
        },
        {
            "alert": "CloudRequestsWithoutClient",
            "expr": 'sum(increase(generator_cloud_requests_total{result="not_authenticated"}[15m])) > 0',
            "for": delays.warning,
            "labels": {"severity": "ticket"},
            "annotations": {
                "summary": "Cloud generations reached the generator without an authenticated client",
                "description": (
                    "{{ $value | humanize }} in 15 minutes, refused with 403. Only the gateway's API-key policy sets "
                    "x-prompt2prod-client: check the api-auth TrafficPolicy and who calls the generator directly."
                ),
            },
        },
    ]


def rule_groups(targets: SloTargets, delays: AlertDelays | None = None) -> list[RuleGroup]:
    """The PrometheusRule `spec.groups`: recording rules first, so that alerts read recorded series."""
    delays = delays or AlertDelays()
    return [
        {"name": "generator-slo-recording", "rules": generator_recording_rules()},
        {
            "name": "generator-slo-alerts",
            "rules": availability_alerts(targets, delays) + latency_alerts(targets, delays),
        },
        {"name": "platform-recording", "rules": platform_recording_rules()},
        {"name": "platform-alerts", "rules": platform_alerts(targets, delays)},
        {"name": "cloud-spend-alerts", "rules": cloud_spend_alerts(targets, delays)},
    ]


def recorded_names(groups: list[RuleGroup]) -> frozenset[str]:
    """Series the recording rules create: dashboards and alerts may use them like scraped metrics."""
    return frozenset(rule["record"] for group in groups for rule in group["rules"] if "record" in rule)
