"""Checks of what Prometheus scrapes and what alerts and dashboards select: monitors resolve to Services, pods and
port names; the Prometheus the chart installs selects our monitors and rules (its selector settings in the release
values); and every `pod` label matcher selects the pods of exactly one workload. Each check returns its problems.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import promql_parser

from infra.contract.monitoring import POD_SELECTED_WORKLOADS
from tests.support.platform.model import Object, Pod, Render, selects
from tests.support.promql import GRAFANA_VARIABLES

MONITORS = ("ServiceMonitor", "PodMonitor")
# The prometheus-operator selector settings of kube-prometheus-stack's `prometheus.prometheusSpec`, per kind.
SELECTOR_PREFIX = {"ServiceMonitor": "serviceMonitor", "PodMonitor": "podMonitor", "PrometheusRule": "rule"}
DASHBOARD_LABEL = "grafana_dashboard"


def _watched_namespaces(render: Render, monitor: Object) -> set[str]:
    """A monitor's `namespaceSelector`: `any`, `matchNames`, or (absent) its own namespace."""
    selector = monitor["spec"].get("namespaceSelector") or {}
    if selector.get("any"):
        return set(render.namespaces())
    return set(selector.get("matchNames") or [monitor["metadata"]["namespace"]])


def monitor_problems(render: Render) -> list[str]:
    """Each ServiceMonitor selects Services whose named ports it scrapes; each PodMonitor selects pods with the
    port (name or number) it scrapes."""
    problems = []
    pods = render.pods()
    for monitor in [o for o in render.objects if o["kind"] in MONITORS]:
        where = f"{monitor['kind']} {monitor['metadata']['namespace']}/{monitor['metadata']['name']}"
        namespaces = _watched_namespaces(render, monitor)
        selector = monitor["spec"].get("selector") or {}
        if monitor["kind"] == "ServiceMonitor":
            services = [
                s
                for s in render.services()
                if s["metadata"]["namespace"] in namespaces and selects(selector, s["metadata"].get("labels") or {})
            ]
            if not services:
                problems.append(f"{where}: selects no Service")
            for endpoint in monitor["spec"].get("endpoints", []):
                for service in services:
                    names = {port.get("name") for port in service["spec"]["ports"]}
                    if endpoint.get("port") not in names:
                        problems.append(
                            f"{where}: Service {service['metadata']['name']} has no port {endpoint.get('port')!r}"
                        )
        else:
            targets = [p for p in pods if p.namespace in namespaces and selects(selector, p.labels)]
            if not targets:
                problems.append(f"{where}: selects no pod")
            for endpoint in monitor["spec"].get("podMetricsEndpoints", []):
                wanted = endpoint.get("port", endpoint.get("portNumber"))
                for pod in targets:
                    if pod.port(wanted) is None:
                        problems.append(f"{where}: {pod.workload} has no port {wanted!r}")
    return problems


def prometheus_selection_problems(render: Render) -> list[str]:
    """The Prometheus of kube-prometheus-stack selects every monitor and rule the program declares. With
    `<kind>SelectorNilUsesHelmValues` true (the chart's default) and no explicit selector, it selects only objects
    labelled `release: <release name>`; its namespace selectors default to every namespace."""
    stack = render.release("kube-prometheus-stack")
    if stack is None:
        return ["no kube-prometheus-stack release: nothing scrapes the platform"]
    spec = stack["values"].get("prometheus", {}).get("prometheusSpec", {})
    problems = []
    for obj in [o for o in render.objects if o["kind"] in SELECTOR_PREFIX]:
        prefix = SELECTOR_PREFIX[obj["kind"]]
        selector = spec.get(f"{prefix}Selector") or None
        if selector is None and spec.get(f"{prefix}SelectorNilUsesHelmValues", True):
            selector = {"matchLabels": {"release": stack["name"]}}
        namespace_labels = render.namespaces().get(obj["metadata"]["namespace"], {})
        if not selects(selector, obj["metadata"].get("labels") or {}) or not selects(
            spec.get(f"{prefix}NamespaceSelector"), namespace_labels
        ):
            where = f"{obj['kind']} {obj['metadata']['namespace']}/{obj['metadata']['name']}"
            problems.append(f"{where}: the chart's Prometheus does not select it")
    return problems


def promql_expressions(render: Render) -> Iterator[tuple[str, str]]:
    """(where, expression) of every PrometheusRule rule and every Prometheus query of the dashboard ConfigMaps."""
    for rules in render.of_kind("PrometheusRule"):
        for group in rules["spec"]["groups"]:
            for rule in group["rules"]:
                yield f"{rule.get('alert') or rule.get('record')}", rule["expr"]
    for config_map in render.of_kind("ConfigMap"):
        if DASHBOARD_LABEL not in (config_map["metadata"].get("labels") or {}):
            continue
        for body in config_map["data"].values():
            board = json.loads(body)
            for panel in board.get("panels", []):
                for target in panel.get("targets", []):
                    if target.get("datasource", {}).get("type") == "prometheus":
                        yield f"dashboard {board['uid']} panel {panel.get('title')!r}", target["expr"]


def selectors(expression: str) -> Iterator[dict[str, Any]]:
    """Each vector selector's `namespace` and `pod` matchers, as {label: (op, value)}."""
    for variable, value in GRAFANA_VARIABLES.items():
        expression = expression.replace(variable, value)
    found: list[dict[str, Any]] = []

    def visit(node: object) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            found.append(
                {
                    m.name: (str(m.op).rsplit(".", 1)[-1], m.value)
                    for m in node.matchers.matchers
                    if m.name in ("namespace", "pod")
                }
            )

    promql_parser.walk(promql_parser.parse(expression), visit)
    yield from found


def _matches(op_value: tuple[str, str] | None, text: str) -> bool:
    if op_value is None:
        return True
    op, value = op_value
    hit = re.fullmatch(value, text) is not None if op in ("Re", "NotRe") else value == text
    return hit != (op in ("NotEqual", "NotRe"))


def pod_names(pod: Pod) -> list[str]:
    """Names the controllers give this workload's pods: `<sts>-<ordinal>`, `<deploy>-<template hash>-<suffix>`,
    `<job or daemonset>-<suffix>` (hash and suffix from Kubernetes' safe alphabet, `bcdfghjklmnpqrstvwxz2456789`)."""
    if pod.kind == "StatefulSet":
        return [f"{pod.name}-0", f"{pod.name}-1", f"{pod.name}-12"]
    if pod.kind == "Deployment":
        return [f"{pod.name}-7c9f8d6b5d-x2x9z", f"{pod.name}-5647bb9d8c-2bq7w"]
    return [f"{pod.name}-x2x9z", f"{pod.name}-7wq2c"]


def pod_matcher_problems(render: Render) -> list[str]:
    """Every `pod` matcher of an alert or dashboard selects the pods of exactly one workload (in the namespaces its
    `namespace` matcher selects), one the contract says is watched by pod name; every `namespace` matcher names a
    namespace the platform has."""
    problems = []
    pods, namespaces = render.pods(), set(render.namespaces())
    for where, expression in promql_expressions(render):
        for matchers in selectors(expression):
            selected = {n for n in namespaces if _matches(matchers.get("namespace"), n)}
            if "namespace" in matchers and not selected:
                problems.append(f"{where}: namespace matcher {matchers['namespace'][1]!r} selects no namespace")
            if "pod" not in matchers:
                continue
            workloads = sorted(
                {
                    p.workload
                    for p in pods
                    if p.namespace in selected and any(_matches(matchers["pod"], n) for n in pod_names(p))
                }
            )
            if len(workloads) != 1 or workloads[0] not in POD_SELECTED_WORKLOADS:
                problems.append(
                    f"{where}: pod matcher {matchers['pod'][1]!r} selects the pods of {workloads or 'nothing'}"
                )
    return problems
