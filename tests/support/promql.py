"""PromQL checks shared by the dashboard and rule tests: parse with a real parser, list the metric names used."""

from __future__ import annotations

import promql_parser

# Grafana expands these before a query reaches Prometheus; any valid duration stands in for the parser.
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__interval": "1m"}


def metric_names(expr: str) -> set[str]:
    """Every metric name selected by `expr`; raises ValueError if it does not parse."""
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    names: set[str] = set()

    def visit(node: object) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            name = node.name or next((m.value for m in node.matchers.matchers if m.name == "__name__"), None)
            if name is None:
                raise ValueError(f"selector without a metric name in {expr!r}")
            names.add(name)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names
