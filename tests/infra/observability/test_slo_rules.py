"""The SLO rules Python builds are valid Prometheus rules and fire exactly when they should (`promtool test rules`).

Guards the promise that every alert is unit-tested against synthetic series: a wrong window, a threshold off by
a factor or a selector that never matches fails here, not during an incident. Annotations are template-checked by
`promtool check rules`; the unit tests compare labels (promtool compares annotations verbatim, so they are dropped
from the copy under test — the expressions are untouched).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.config.observability import ObservabilityConfig
from infra.observability.slo_rules import AlertDelays, SloTargets, recorded_names, rule_groups
from tests.support.prometheus_tools import promtool, write_rules

TARGETS = SloTargets()
# The alerting policy of the Google SRE workbook ("Alerting on SLOs"), as written in docs/observability.md:
# (severity, burn rate, long window, short window).
WORKBOOK_PAIRS = [
    ("page", 14.4, "1h", "5m"),
    ("page", 6, "6h", "30m"),
    ("ticket", 3, "1d", "2h"),
    ("ticket", 1, "3d", "6h"),
]


def _pair_labels(severity: str, long_window: str, short_window: str) -> dict[str, str]:
    return {
        "severity": severity,
        "slo": "generator-availability",
        "long_window": long_window,
        "short_window": short_window,
    }


PAGE_1H, PAGE_6H, TICKET_1D, TICKET_3D = (_pair_labels(sev, long, short) for sev, _, long, short in WORKBOOK_PAIRS)


def _without_annotations(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {**group, "rules": [{k: v for k, v in rule.items() if k != "annotations"} for rule in group["rules"]]}
        for group in groups
    ]


Series = list[tuple[str, str]]


def _promtool_test(tmp_path: Path, series: Series, alerts: list[dict[str, Any]]) -> None:
    _promtool_tests(tmp_path, [(series, alerts)])


def _promtool_tests(tmp_path: Path, cases: list[tuple[Series, list[dict[str, Any]]]]) -> None:
    """Several independent scenarios (input series and expected alerts) in one promtool run."""
    write_rules(_without_annotations(rule_groups(TARGETS)), tmp_path / "rules.yaml")
    test = {
        "rule_files": ["rules.yaml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [{"series": name, "values": values} for name, values in series],
                "alert_rule_test": alerts,
            }
            for series, alerts in cases
        ],
    }
    (tmp_path / "test.yaml").write_text(yaml.safe_dump(test, sort_keys=False))
    result = promtool("test", "rules", "test.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def _requests(route: str, status: str, per_minute: int, minutes: int) -> tuple[str, str]:
    return (
        f'generator_http_requests_total{{route="{route}",method="GET",status="{status}"}}',
        f"0+{per_minute}x{minutes}",
    )


def _no_alert(name: str, at: str) -> dict[str, Any]:
    return {"alertname": name, "eval_time": at, "exp_alerts": []}


def test_rules_pass_promtool_check(tmp_path: Path) -> None:
    rules = write_rules(rule_groups(TARGETS), tmp_path / "rules.yaml")
    result = promtool("check", "rules", str(rules))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr


def test_total_outage_pages_on_the_fast_burn_windows(tmp_path: Path) -> None:
    series = [_requests("/models", "200", 60, 10), _requests("/models", "503", 0, 10)]
    series[1] = (series[1][0], "0x10 60+60x30")  # 100 % errors from minute 10 on
    series[0] = (series[0][0], "0+60x10 600x30")
    _promtool_test(
        tmp_path,
        series,
        [
            _no_alert("GeneratorErrorBudgetBurn", "9m"),
            {
                "alertname": "GeneratorErrorBudgetBurn",
                "eval_time": "20m",
                "exp_alerts": [{"exp_labels": PAGE_1H}, {"exp_labels": PAGE_6H}],
            },
            {
                # Tickets wait longer (`for: 15m`): the outage has lasted long enough for them too.
                "alertname": "GeneratorErrorBudgetBurn",
                "eval_time": "40m",
                "exp_alerts": [
                    {"exp_labels": PAGE_1H},
                    {"exp_labels": PAGE_6H},
                    {"exp_labels": TICKET_1D},
                    {"exp_labels": TICKET_3D},
                ],
            },
        ],
    )


def test_errors_within_budget_do_not_alert(tmp_path: Path) -> None:
    # 0.5 % errors: half the budget of a 99 % SLO.
    series = [_requests("/models", "200", 199, 400), _requests("/models", "502", 1, 400)]
    _promtool_test(tmp_path, series, [_no_alert("GeneratorErrorBudgetBurn", "400m")])


def test_slow_burn_opens_only_the_three_day_ticket(tmp_path: Path) -> None:
    # 2 % errors for 7 h: 2x the budget rate, below the 3x/6x/14.4x thresholds, above 1x.
    series = [_requests("/models", "200", 98, 420), _requests("/models", "500", 2, 420)]
    _promtool_test(
        tmp_path,
        series,
        [{"alertname": "GeneratorErrorBudgetBurn", "eval_time": "420m", "exp_alerts": [{"exp_labels": TICKET_3D}]}],
    )


@pytest.mark.parametrize("pair", WORKBOOK_PAIRS, ids=[f"{p[2]}-{p[3]}" for p in WORKBOOK_PAIRS])
@pytest.mark.parametrize("scale", [1.1, 0.9], ids=["just-above", "just-below"])
def test_each_window_pair_pages_at_its_burn_rate(
    tmp_path: Path, pair: tuple[str, float, str, str], scale: float
) -> None:
    """A steady error ratio 10 % above a pair's burn rate fires that pair (and every slower one); 10 % below, not
    that pair: a copy-pasted factor would page (or stay silent) at the wrong error rate."""
    budget = 1 - TARGETS.availability
    # An hour of steady traffic: rate() over the longer windows reads the hour there is, and every `for:` has passed.
    minutes = 60
    errors = round(1000 * pair[1] * budget * scale, 3)  # per minute, out of 1000 requests
    firing = [_pair_labels(s, lw, sw) for s, factor, lw, sw in WORKBOOK_PAIRS if factor * budget * 1000 < errors]
    assert (_pair_labels(pair[0], pair[2], pair[3]) in firing) is (scale > 1)
    route = 'generator_http_requests_total{route="/models",method="POST",status="%s"}'
    _promtool_test(
        tmp_path,
        [(route % "200", f"0+{round(1000 - errors, 3)}x{minutes}"), (route % "500", f"0+{errors}x{minutes}")],
        [
            {
                "alertname": "GeneratorErrorBudgetBurn",
                "eval_time": f"{minutes}m",
                "exp_alerts": [{"exp_labels": labels} for labels in firing],
            }
        ],
    )


def test_probes_and_scrapes_are_not_user_traffic(tmp_path: Path) -> None:
    # /ready answers 503 while the backend is down: a readiness signal, not a served error.
    series = [
        _requests("/models", "200", 60, 30),
        _requests("/ready", "503", 60, 30),
        _requests("/health", "200", 1, 30),
    ]
    _promtool_test(tmp_path, series, [_no_alert("GeneratorErrorBudgetBurn", "30m")])


def _histogram(metric: str, labels: str, per_bucket: dict[str, int], minutes: int) -> list[tuple[str, str]]:
    cumulative, series = 0, []
    for le, count in per_bucket.items():
        cumulative += count
        series.append((f'{metric}_bucket{{{labels},le="{le}"}}', f"0+{cumulative}x{minutes}"))
    return series


def test_slow_non_generation_route_raises_latency_alert_but_slow_generation_does_not(tmp_path: Path) -> None:
    metric = "generator_http_request_duration_seconds"
    series = _histogram(metric, 'route="/models"', {"0.1": 0, "1": 10, "+Inf": 0}, 30)
    series += _histogram(metric, 'route="/generate"', {"0.1": 0, "1": 0, "+Inf": 10}, 30)
    _promtool_test(
        tmp_path,
        series,
        [
            {
                "alertname": "GeneratorLatencyHigh",
                "eval_time": "30m",
                "exp_alerts": [{"exp_labels": {"severity": "ticket", "slo": "generator-latency", "route": "/models"}}],
            }
        ],
    )


def test_llm_latency_is_judged_per_mode(tmp_path: Path) -> None:
    metric = "generator_llm_request_duration_seconds"
    # local: p95 in (120, 300] s, above its 120 s objective; cloud: p95 below 10 s, well within its 30 s.
    series = _histogram(metric, 'mode="local",model="m"', {"60": 0, "120": 0, "300": 10, "+Inf": 0}, 30)
    series += _histogram(metric, 'mode="cloud",model="c"', {"10": 10, "60": 0, "+Inf": 0}, 30)
    _promtool_test(
        tmp_path,
        series,
        [
            {
                "alertname": "GeneratorLlmLatencyHigh",
                "eval_time": "30m",
                "exp_alerts": [{"exp_labels": {"severity": "ticket", "slo": "llm-latency", "mode": "local"}}],
            }
        ],
    )


def test_ollama_not_ready_fires_when_unready_or_absent(tmp_path: Path) -> None:
    ready = 'kube_pod_status_ready{namespace="llm",pod="ollama-0",condition="true"}'
    labels = {"severity": "page"}
    _promtool_test(
        tmp_path,
        [(ready, "1x10 0x20 _x30")],
        [
            _no_alert("OllamaNotReady", "10m"),
            {"alertname": "OllamaNotReady", "eval_time": "25m", "exp_alerts": [{"exp_labels": labels}]},
            {"alertname": "OllamaNotReady", "eval_time": "55m", "exp_alerts": [{"exp_labels": labels}]},
        ],
    )


def test_a_ready_preload_pod_does_not_hide_an_unready_ollama(tmp_path: Path) -> None:
    # The preload Job's pods are named `ollama-preload-<hash>-<suffix>`: a `pod=~"ollama-.*"` selector counted them.
    ollama = 'kube_pod_status_ready{namespace="llm",pod="ollama-0",condition="true"}'
    preload = 'kube_pod_status_ready{namespace="llm",pod="ollama-preload-d9899d69d1-x7k2p",condition="true"}'
    _promtool_test(
        tmp_path,
        [(ollama, "0x30"), (preload, "1x30")],
        [{"alertname": "OllamaNotReady", "eval_time": "25m", "exp_alerts": [{"exp_labels": {"severity": "page"}}]}],
    )


def test_model_volume_alert_at_85_percent(tmp_path: Path) -> None:
    pvc = 'namespace="llm",persistentvolumeclaim="ollama-models"'
    _promtool_test(
        tmp_path,
        [
            (f"kubelet_volume_stats_capacity_bytes{{{pvc}}}", "100x40"),
            (f"kubelet_volume_stats_used_bytes{{{pvc}}}", "80x15 90x25"),
        ],
        [
            _no_alert("ModelVolumeAlmostFull", "14m"),
            {
                "alertname": "ModelVolumeAlmostFull",
                "eval_time": "40m",
                "exp_alerts": [
                    {
                        "exp_labels": {
                            "severity": "ticket",
                            "namespace": "llm",
                            "persistentvolumeclaim": "ollama-models",
                        }
                    }
                ],
            },
        ],
    )


def test_crash_looping_pod_in_platform_namespace(tmp_path: Path) -> None:
    waiting = (
        'kube_pod_container_status_waiting_reason{{namespace="{ns}",pod="p",container="c",reason="CrashLoopBackOff"}}'
    )
    _promtool_test(
        tmp_path,
        [(waiting.format(ns="generator"), "1x30"), (waiting.format(ns="someone-else"), "1x30")],
        [
            {
                "alertname": "PodCrashLooping",
                "eval_time": "30m",
                "exp_alerts": [
                    {"exp_labels": {"severity": "ticket", "namespace": "generator", "pod": "p", "container": "c"}}
                ],
            }
        ],
    )


def test_gateway_5xx_ratio(tmp_path: Path) -> None:
    prefix = 'envoy_http_conn_manager_prefix="http"'
    _promtool_test(
        tmp_path,
        [
            (f"envoy_http_downstream_rq_total{{{prefix}}}", "0+100x40"),
            (f'envoy_http_downstream_rq_xx{{{prefix},envoy_response_code_class="5"}}', "0+1x15 15+10x25"),
        ],
        [
            _no_alert("GatewayHigh5xxRatio", "15m"),
            {
                "alertname": "GatewayHigh5xxRatio",
                "eval_time": "40m",
                "exp_alerts": [{"exp_labels": {"severity": "page"}}],
            },
        ],
    )


def test_cloud_spend_alert_names_the_client_near_its_hourly_budget(tmp_path: Path) -> None:
    """Default budget 100 per hour: 2 admitted a minute for 45 minutes is 90 (> 80) for the busy client only."""
    spend = 'generator_cloud_requests_total{client="%s",result="admitted"}'
    _promtool_test(
        tmp_path,
        [(spend % "ci", "0+2x60"), (spend % "ops", "0+1x60")],
        [
            _no_alert("CloudBudgetNearlySpent", "30m"),
            {
                "alertname": "CloudBudgetNearlySpent",
                "eval_time": "60m",
                "exp_alerts": [{"exp_labels": {"severity": "ticket", "client": "ci"}}],
            },
        ],
    )


def test_cloud_requests_without_a_client_are_flagged(tmp_path: Path) -> None:
    _promtool_test(
        tmp_path,
        [('generator_cloud_requests_total{client="other",result="not_authenticated"}', "0x10 1x20")],
        [
            _no_alert("CloudRequestsWithoutClient", "15m"),
            {
                "alertname": "CloudRequestsWithoutClient",
                "eval_time": "25m",
                "exp_alerts": [{"exp_labels": {"severity": "ticket"}}],
            },
        ],
    )


def test_the_spend_threshold_follows_the_configured_budget() -> None:
    groups = rule_groups(SloTargets.from_config(ObservabilityConfig(), cloud_budget_per_hour=500))
    [spend] = [rule for group in groups for rule in group["rules"] if rule.get("alert") == "CloudBudgetNearlySpent"]
    assert spend["expr"].endswith("> 400")


def test_thresholds_follow_config() -> None:
    config = ObservabilityConfig.model_validate({"sloAvailabilityTarget": 0.999, "volumeFullRatio": 0.9})
    groups = rule_groups(SloTargets.from_config(config))
    exprs = [rule["expr"] for group in groups for rule in group["rules"] if "alert" in rule]
    assert "generator:http_errors:ratio_rate1h > 0.0144 and generator:http_errors:ratio_rate5m > 0.0144" in exprs
    assert any(expr.endswith("> 0.9") and "kubelet_volume" in expr for expr in exprs)


def test_delays_change_only_for_durations() -> None:
    default = rule_groups(TARGETS)
    fast = rule_groups(TARGETS, AlertDelays(page="1s", ticket="1s", warning="1s"))
    strip = [[{k: v for k, v in r.items() if k != "for"} for r in g["rules"]] for g in default]
    assert strip == [[{k: v for k, v in r.items() if k != "for"} for r in g["rules"]] for g in fast]
    assert {r.get("for") for g in fast for r in g["rules"] if "alert" in r} == {"1s"}


@pytest.mark.parametrize(
    "name", ["generator:http_errors:ratio_rate3d", "route:generator_http_request_duration_seconds:p95_rate5m"]
)
def test_recorded_series_are_named(name: str) -> None:
    assert name in recorded_names(rule_groups(TARGETS))
