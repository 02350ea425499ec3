"""Dashboards built with grafana-foundation-sdk: valid JSON, the panels we document, and PromQL that is real.

Guards against dashboards that render empty: every Prometheus expression must parse with promql-parser and
name only metrics from `infra.observability.metric_catalog` or series recorded by our rules.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.observability import dashboards, metric_catalog
from infra.observability.slo_rules import SloTargets, recorded_names, rule_groups
from tests.support.promql import metric_names

KNOWN = metric_catalog.KNOWN_METRICS | recorded_names(rule_groups(SloTargets()))
LINKS = {"Generator API": "https://generator.example.com", "Grafana": "https://grafana.example.com"}


def _all() -> dict[str, dict[str, Any]]:
    built = {name: json.loads(text) for name, text in dashboards.static_dashboards().items()}
    built["overview"] = json.loads(dashboards.overview_dashboard(LINKS))
    return built


def _panels(board: dict[str, Any]) -> list[dict[str, Any]]:
    return [panel for panel in board["panels"] if panel["type"] != "row"]


def _prometheus_exprs(board: dict[str, Any]) -> list[str]:
    return [
        target["expr"]
        for panel in _panels(board)
        for target in panel.get("targets", [])
        if target["datasource"]["type"] == "prometheus"
    ]


def test_each_dashboard_has_its_documented_uid_and_tag() -> None:
    built = _all()
    assert {name: board["uid"] for name, board in built.items()} == {n: s.uid for n, s in dashboards.ALL.items()}
    assert all(dashboards.TAG in board["tags"] for board in built.values())


@pytest.mark.parametrize("name", sorted(dashboards.ALL))
def test_every_promql_expression_parses_and_uses_known_metrics(name: str) -> None:
    exprs = _prometheus_exprs(_all()[name])
    assert exprs
    unknown = {expr: metric_names(expr) - KNOWN for expr in exprs if metric_names(expr) - KNOWN}
    assert not unknown


def test_rule_expressions_parse_and_use_known_metrics() -> None:
    groups = rule_groups(SloTargets())
    exprs = [rule["expr"] for group in groups for rule in group["rules"]]
    assert all(metric_names(expr) <= KNOWN for expr in exprs), [e for e in exprs if metric_names(e) - KNOWN]


def test_checker_rejects_unknown_metric_and_bad_syntax() -> None:
    assert metric_names("rate(generator_http_requests_totl[5m])") - KNOWN == {"generator_http_requests_totl"}
    with pytest.raises(ValueError, match="parenthesis"):
        metric_names("sum(rate(up[5m])")


def test_generator_dashboard_shows_red_and_llm_by_mode_and_model() -> None:
    board = _all()["generator"]
    titles = {panel["title"] for panel in _panels(board)}
    assert {"Request rate by route and status", "p95 latency by route", "LLM latency p95 by mode and model"} <= titles
    exprs = " ".join(_prometheus_exprs(board))
    assert "sum by (le, mode, model)" in exprs
    assert "generator_llm_tokens_total" in exprs


def test_generator_dashboard_shows_cloud_spend_per_client() -> None:
    panels = {panel["title"]: panel for panel in _panels(_all()["generator"])}
    spend = panels["Cloud generations per client and budget result, last hour"]
    [target] = spend["targets"]
    assert target["expr"] == "sum by (client, result) (increase(generator_cloud_requests_total[1h]))"
    assert target["legendFormat"] == "{{client}} {{result}}"


def test_generator_logs_panel_queries_loki() -> None:
    logs = [panel for panel in _panels(_all()["generator"]) if panel["type"] == "logs"]
    assert [target["expr"] for target in logs[0]["targets"]] == ['{namespace="generator"} | json']
    assert logs[0]["datasource"] == {"type": "loki", "uid": "loki"}


def test_overview_links_come_from_the_given_urls() -> None:
    board = _all()["overview"]
    urls = {link.get("url") for link in board["links"]}
    assert set(LINKS.values()) <= urls
    content = next(panel for panel in _panels(board) if panel["type"] == "text")["options"]["content"]
    assert "[Generator API](https://generator.example.com)" in content
