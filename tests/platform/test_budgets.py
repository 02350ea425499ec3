"""One generation budget, and everything derived from it agreeing in the rendered pods.

Guards finding 4 of the first real deployment: the grace period allowed about one LLM timeout while a generation
may take two (a retry), so a rollout killed requests the app would still have answered. The grace period in the
rendered pod spec (not only the formula) must be what the budget says, for every track.
"""

from __future__ import annotations

from infra.contract.budgets import GenerationBudget
from tests.support.platform import LoadStack
from tests.support.platform.budgets import budget_problems, generation_budget, generator_pods
from tests.support.platform.model import Object, Render, pod_template


def test_both_renders_derive_the_grace_period_from_the_budget(platform_render: Render) -> None:
    assert budget_problems(platform_render) == []
    assert generation_budget(platform_render) == GenerationBudget(request_seconds=240, call_seconds=120)
    assert [pod.spec["terminationGracePeriodSeconds"] for pod in generator_pods(platform_render) if pod.spec] == [255]


def test_a_configured_budget_reaches_the_app_the_grace_period_and_the_routes(stack_render: LoadStack) -> None:
    canary = {"enabled": True, "imageTag": "0.2.0"}
    render = stack_render("prod", {"generator": {"requestTimeoutSeconds": 400}, "gateway": {"canary": canary}})
    assert budget_problems(render) == []
    assert {pod.workload: pod.spec["terminationGracePeriodSeconds"] for pod in generator_pods(render) if pod.spec} == {
        "Deployment/generator": 5 + 400 + 10,
        "Deployment/generator-canary": 5 + 400 + 10,
    }
    (rule,) = render.one("HTTPRoute", "gateway", "generator")["spec"]["rules"]
    assert rule["timeouts"] == {"request": "405s"}


def spec(render: Render) -> Object:
    spec_: Object = pod_template(render.one("Deployment", "generator", "generator"))["spec"]
    return spec_


def test_a_grace_period_shorter_than_the_budget_is_caught(stack_render: LoadStack) -> None:
    broken = stack_render("dev").broken(lambda r: spec(r).update(terminationGracePeriodSeconds=135))
    assert budget_problems(broken) == [
        "Deployment/generator: terminationGracePeriodSeconds 135 is not the budget's 255",
        "Deployment/generator: a 135s grace period kills requests within their 240s deadline",
    ]


def test_a_pod_without_the_deadline_or_with_a_longer_call_is_caught(stack_render: LoadStack) -> None:
    def drop(render: Render) -> None:
        (container,) = spec(render)["containers"]
        container["env"] = [var for var in container["env"] if var["name"] != "REQUEST_TIMEOUT_SECONDS"]

    assert budget_problems(stack_render("dev").broken(drop)) == [
        "Deployment/generator: REQUEST_TIMEOUT_SECONDS and LLM_TIMEOUT_SECONDS must both be set"
    ]

    def longer_call(render: Render) -> None:
        (container,) = spec(render)["containers"]
        next(var for var in container["env"] if var["name"] == "LLM_TIMEOUT_SECONDS")["value"] = "300"

    assert budget_problems(stack_render("dev").broken(longer_call)) == [
        "Deployment/generator: one backend call (300s) may outlast the request (240s)"
    ]


def test_an_overridden_command_or_a_different_drain_is_caught(stack_render: LoadStack) -> None:
    def edit(render: Render) -> None:
        (container,) = spec(render)["containers"]
        container["command"] = ["uvicorn", "app.main:app"]
        container["lifecycle"]["preStop"]["sleep"]["seconds"] = 15

    assert budget_problems(stack_render("dev").broken(edit)) == [
        "Deployment/generator: overrides the image's command (and with it the server's flags)",
        "Deployment/generator: preStop sleeps 15s, the budget counts 5s",
    ]
