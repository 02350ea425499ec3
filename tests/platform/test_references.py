"""Every name one object gives resolves to another object of the render (or of a modelled Helm release).

Guards: a Service whose targetPort is not a container port (it passes every schema and checkov, and routes to
nothing), selectors that select nothing or too much, a pod that mounts, runs as, reads or calls something that
is not declared, probes on a port or path the server does not have, Helm values naming an absent Secret or URL.
Each check is also run on a deliberately broken copy of the render: it must fail there.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.platform import LoadStack
from tests.support.platform.model import Object, Render, generator_container, pod_template
from tests.support.platform.references import (
    helm_value_problems,
    pod_reference_problems,
    probe_problems,
    service_problems,
    workload_selector_problems,
)

CHECKS = [service_problems, workload_selector_problems, pod_reference_problems, probe_problems, helm_value_problems]


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_both_renders_resolve_every_reference(platform_render: Render, check: Callable[[Render], list[str]]) -> None:
    assert check(platform_render) == []


def generator_service(render: Render) -> Object:
    return render.one("Service", "generator", "generator")


def test_a_service_pointing_at_the_wrong_container_port_is_caught(stack_render: LoadStack) -> None:
    def edit(render: Render) -> None:
        generator_service(render)["spec"]["ports"][0]["targetPort"] = 8080

    broken = stack_render("dev").broken(edit)
    assert service_problems(broken) == [
        "Service generator/generator: targetPort 8080 is not a port of Deployment/generator"
    ]


def test_a_service_selecting_no_pod_is_caught(stack_render: LoadStack) -> None:
    broken = stack_render("dev").broken(
        lambda r: generator_service(r)["spec"]["selector"].update({"prompt2prod.io/track": "stabel"})
    )
    assert "Service generator/generator: its selector matches no pod" in service_problems(broken)


def test_selectors_of_budgets_autoscalers_and_spread_are_caught(stack_render: LoadStack) -> None:
    def edit(render: Render) -> None:
        budget = render.one("PodDisruptionBudget", "generator", "generator")
        budget["spec"]["selector"]["matchLabels"]["prompt2prod.io/track"] = "canary"
        render.one("HorizontalPodAutoscaler", "generator", "generator")["spec"]["scaleTargetRef"]["name"] = "gen"
        spread = pod_template(render.one("Deployment", "generator", "generator"))["spec"]["topologySpreadConstraints"]
        spread[0]["labelSelector"]["matchLabels"]["prompt2prod.io/track"] = "canary"

    problems = workload_selector_problems(stack_render("prod").broken(edit))
    assert "PodDisruptionBudget generator/generator selects the pods of nothing" in problems
    assert "HorizontalPodAutoscaler generator: no Deployment gen" in problems
    assert "Deployment generator/generator: spread constraint on kubernetes.io/hostname counts other pods" in problems


def test_missing_objects_a_pod_refers_to_are_caught(stack_render: LoadStack) -> None:
    def edit(render: Render) -> None:
        render.objects = [
            o
            for o in render.objects
            if (o["kind"], o["metadata"]["name"])
            not in {("ConfigMap", "ollama-preload-script"), ("PersistentVolumeClaim", "ollama-models")}
        ]
        pod_template(render.one("Deployment", "generator", "generator"))["spec"]["serviceAccountName"] = "generatr"

    problems = pod_reference_problems(stack_render("dev").broken(edit))
    assert "Deployment/generator: ServiceAccount generator/generatr does not exist" in problems
    assert "StatefulSet/ollama: PersistentVolumeClaim llm/ollama-models does not exist" in problems
    assert any(p.endswith("ConfigMap llm/ollama-preload-script does not exist") for p in problems)


def test_a_secret_file_from_an_absent_provider_class_is_caught(stack_render: LoadStack) -> None:
    """prod with the cloud key: the generator mounts its key through a SecretProviderClass that must exist."""
    render = stack_render("prod", secrets={"cloudLlmApiKey": "PLATFORM-REF-key"})
    assert pod_reference_problems(render) == []
    broken = render.broken(lambda r: r.objects.remove(r.one("SecretProviderClass", "generator", "generator-secrets")))
    assert pod_reference_problems(broken) == [
        "Deployment/generator: SecretProviderClass generator/generator-secrets does not exist"
    ]


def test_an_in_cluster_url_to_a_port_the_service_lacks_is_caught(stack_render: LoadStack) -> None:
    def edit(render: Render) -> None:
        env = generator_container(render)["env"]
        next(var for var in env if var["name"] == "OLLAMA_BASE_URL")["value"] = (
            "http://ollama.llm.svc.cluster.local:11435"
        )

    assert pod_reference_problems(stack_render("dev").broken(edit)) == [
        "Deployment/generator: env OLLAMA_BASE_URL: http://ollama.llm.svc.cluster.local:11435: "
        "Service llm/ollama has no port 11435"
    ]


def test_probes_on_an_absent_port_or_path_are_caught(stack_render: LoadStack) -> None:
    def edit(render: Render) -> None:
        container = generator_container(render)
        container["readinessProbe"]["httpGet"]["path"] = "/readyz"
        container["livenessProbe"]["httpGet"]["port"] = "metrics"

    assert probe_problems(stack_render("dev").broken(edit)) == [
        "Deployment/generator generator livenessProbe: port 'metrics' is not a port of the container",
        "Deployment/generator generator readinessProbe: /readyz is not a path its server serves",
    ]


def test_helm_values_naming_absent_objects_are_caught(stack_render: LoadStack) -> None:
    def edit(render: Render) -> None:
        stack = render.release("kube-prometheus-stack")
        assert stack is not None
        stack["values"]["grafana"]["admin"]["existingSecret"] = "grafana-admin"
        stack["values"]["grafana"]["additionalDataSources"][0]["url"] = "http://loki.monitoring.svc.cluster.local:3101"

    problems = helm_value_problems(stack_render("prod").broken(edit))
    assert problems == [
        "grafana admin.existingSecret: Secret monitoring/grafana-admin does not exist",
        "grafana data source Loki: http://loki.monitoring.svc.cluster.local:3101: "
        "Service monitoring/loki has no port 3101",
    ]
