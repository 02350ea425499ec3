"""What Prometheus scrapes resolves, the Prometheus the chart installs selects it, and alerts and dashboards select
exactly the workload they are about.

Guards finding 5 of the first real deployment: `pod=~"ollama-.*"` (OllamaNotReady and four panels) also matched the
preload Job's pods, so a ready preload pod could hide an unready Ollama.
"""

from __future__ import annotations

from tests.support.platform import LoadStack
from tests.support.platform.model import Pod, Render
from tests.support.platform.monitoring import (
    monitor_problems,
    pod_matcher_problems,
    pod_names,
    prometheus_selection_problems,
)


def test_both_renders_scrape_what_exists(platform_render: Render) -> None:
    assert monitor_problems(platform_render) == []


def test_the_charts_prometheus_selects_every_monitor_and_rule(platform_render: Render) -> None:
    assert prometheus_selection_problems(platform_render) == []


def test_every_pod_matcher_selects_exactly_one_workload(platform_render: Render) -> None:
    assert pod_matcher_problems(platform_render) == []


def test_a_service_monitor_port_the_service_lacks_is_caught(stack_render: LoadStack) -> None:
    def edit(render: Render) -> None:
        render.one("ServiceMonitor", "generator", "generator")["spec"]["endpoints"][0]["port"] = "metrics"

    assert monitor_problems(stack_render("dev").broken(edit)) == [
        "ServiceMonitor generator/generator: Service generator has no port 'metrics'"
    ]


def test_a_pod_monitor_that_selects_nothing_or_a_wrong_port_is_caught(stack_render: LoadStack) -> None:
    def edit(render: Render) -> None:
        render.one("PodMonitor", "gateway", "public-gateway-proxy")["spec"]["selector"]["matchLabels"] = {
            "app": "envoy"
        }
        render.one("PodMonitor", "kgateway-system", "kgateway-controller")["spec"]["podMetricsEndpoints"][0][
            "portNumber"
        ] = 9091

    assert monitor_problems(stack_render("dev").broken(edit)) == [
        "PodMonitor gateway/public-gateway-proxy: selects no pod",
        "PodMonitor kgateway-system/kgateway-controller: Deployment/kgateway has no port 9091",
    ]


def test_prometheus_restricted_to_its_release_label_is_caught(stack_render: LoadStack) -> None:
    def edit(render: Render) -> None:
        stack = render.release("kube-prometheus-stack")
        assert stack is not None
        stack["values"]["prometheus"]["prometheusSpec"]["serviceMonitorSelectorNilUsesHelmValues"] = True

    assert prometheus_selection_problems(stack_render("dev").broken(edit)) == [
        "ServiceMonitor generator/generator: the chart's Prometheus does not select it"
    ]


def test_the_old_ollama_regex_is_caught(stack_render: LoadStack) -> None:
    def edit(render: Render) -> None:
        for rules in render.of_kind("PrometheusRule"):
            for group in rules["spec"]["groups"]:
                for rule in group["rules"]:
                    rule["expr"] = rule["expr"].replace("ollama-[0-9]+", "ollama-.*")

    (problem,) = pod_matcher_problems(stack_render("dev").broken(edit))
    assert problem == (
        "OllamaNotReady: pod matcher 'ollama-.*' selects the pods of "
        "['Job/ollama-preload-d9899d69d1', 'StatefulSet/ollama']"
    )


def test_a_matcher_on_another_single_workload_is_caught(stack_render: LoadStack) -> None:
    def edit(render: Render) -> None:
        for rules in render.of_kind("PrometheusRule"):
            for group in rules["spec"]["groups"]:
                for rule in group["rules"]:
                    rule["expr"] = rule["expr"].replace("ollama-[0-9]+", "ollama-preload-.*")

    assert pod_matcher_problems(stack_render("dev").broken(edit)) == [
        "OllamaNotReady: pod matcher 'ollama-preload-.*' selects the pods of ['Job/ollama-preload-d9899d69d1']"
    ]


def test_a_dashboard_matcher_on_no_pod_or_namespace_is_caught(stack_render: LoadStack) -> None:
    def edit(render: Render) -> None:
        config_map = render.one("ConfigMap", "monitoring", "dashboard-ollama")
        body = config_map["data"]["ollama.json"].replace('pod=~\\"ollama-[0-9]+\\"', 'pod=~\\"olama-[0-9]+\\"')
        config_map["data"]["ollama.json"] = body.replace('namespace=\\"llm\\"}', 'namespace=\\"ai\\"}')

    problems = pod_matcher_problems(stack_render("dev").broken(edit))
    assert (
        "dashboard prompt2prod-ollama panel 'Ready pods': pod matcher 'olama-[0-9]+' selects the pods of nothing"
        in problems
    )
    assert "dashboard prompt2prod-ollama panel 'Volume free': namespace matcher 'ai' selects no namespace" in problems


def test_pod_names_follow_each_controllers_naming() -> None:
    def names(workload: str) -> list[str]:
        return pod_names(Pod(workload, "ns", {}, []))

    assert names("StatefulSet/ollama")[0] == "ollama-0"
    assert all(name.startswith("generator-") and name.count("-") == 2 for name in names("Deployment/generator"))
    assert all(name.count("-") == 3 for name in names("Job/ollama-preload-d9899d69d1"))
    assert all(name.startswith("alloy-") and name.count("-") == 1 for name in names("DaemonSet/alloy"))
