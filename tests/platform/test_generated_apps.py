"""A generated project deploys onto the platform that generated it: the facts the rendered generator is told (apps
domain and namespace, Gateway, registry) are the platform's own, and the scaffold's `deploy/` manifests carry
everything the platform's model of a hosted app (`infra.contract.apps`) relies on.

Guards: the stack passing the generator a Gateway, namespace, domain or registry the platform does not have (every
generated app would then deploy, and fail, somewhere else), and the scaffold and the platform drifting apart on a
label, a port, the listener or the NetworkPolicy peer (the gateway could no longer reach the apps it routes to).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from infra import topology
from infra.contract.apps import SAMPLE_APP, hosted_app_manifests
from tests.support.platform import LoadStack
from tests.support.platform.apps import hosting_settings, scaffolded_app
from tests.support.platform.model import Render

# Where the model only stands in for the scaffold's choice (which image, which container name): not a contract.
NOT_CONTRACT = {("Deployment", "image"), ("Deployment", "name")}


def subset_problems(model: Any, actual: Any, where: str, kind: str) -> list[str]:
    """Each value of `model` that `actual` lacks or differs on; list items of the model must each appear in `actual`."""
    if isinstance(model, Mapping):
        if not isinstance(actual, Mapping):
            return [f"{where}: {actual!r} is not a mapping"]
        problems = []
        for key, value in model.items():
            if (kind, key) in NOT_CONTRACT and where.endswith("containers[]"):
                continue
            if key not in actual:
                problems.append(f"{where}.{key}: missing (the platform expects {value!r})")
            else:
                problems += subset_problems(value, actual[key], f"{where}.{key}", kind)
        return problems
    if isinstance(model, list):
        if not isinstance(actual, list):
            return [f"{where}: {actual!r} is not a list"]
        return [
            f"{where}[]: no item carries {item!r}"
            for item in model
            if all(subset_problems(item, candidate, f"{where}[]", kind) for candidate in actual)
        ]
    return [] if model == actual else [f"{where}: {actual!r}, the platform expects {model!r}"]


def drift(model: list[dict[str, Any]], scaffold: list[dict[str, Any]]) -> list[str]:
    by_kind = {o["kind"]: o for o in scaffold}
    problems = []
    for expected in model:
        kind = expected["kind"]
        if kind not in by_kind:
            problems.append(f"{kind}: the scaffold writes none")
            continue
        problems += subset_problems(expected, by_kind[kind], kind, kind)
    return problems


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_generator_is_told_the_platforms_own_hosting_facts(stack: str, stack_render: LoadStack) -> None:
    render = stack_render(stack)
    settings = hosting_settings(render)
    (gateway,) = render.of_kind("Gateway")
    listeners = {listener["name"]: listener for listener in gateway["spec"]["listeners"]}

    assert settings.apps_domain == render.outputs["appsDomain"]
    assert listeners[topology.APPS_LISTENER]["hostname"] == f"*.{settings.apps_domain}"
    assert settings.apps_scheme == listeners[topology.APPS_LISTENER]["protocol"].lower()
    assert (settings.gateway_name, settings.gateway_namespace) == (
        gateway["metadata"]["name"],
        gateway["metadata"]["namespace"],
    )
    assert settings.apps_namespace in render.namespaces()
    assert settings.registry_server == render.outputs["registryLoginServer"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_scaffold_writes_what_the_platform_expects_of_a_hosted_app(stack: str, stack_render: LoadStack) -> None:
    render = stack_render(stack)
    settings = hosting_settings(render)
    model = hosted_app_manifests(SAMPLE_APP, settings.apps_domain)

    assert drift(model, scaffolded_app(SAMPLE_APP, settings)) == []


def test_drift_is_named_where_the_scaffold_leaves_the_model(stack_render: LoadStack) -> None:
    """Guards the comparison: a port, a pod label and the listener changed in the scaffold are each reported."""
    render: Render = stack_render("dev")
    settings = hosting_settings(render)
    scaffold = scaffolded_app(SAMPLE_APP, settings)
    (deployment,) = [o for o in scaffold if o["kind"] == "Deployment"]
    (route,) = [o for o in scaffold if o["kind"] == "HTTPRoute"]
    deployment["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = 8000
    deployment["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/part-of"] = "apps"
    route["spec"]["parentRefs"][0]["sectionName"] = "https"

    problems = drift(hosted_app_manifests(SAMPLE_APP, settings.apps_domain), scaffold)

    assert any(p.startswith("Deployment.spec.template.spec.containers[]") for p in problems)
    assert (
        "Deployment.spec.template.metadata.labels.app.kubernetes.io/part-of: 'apps', the platform expects "
        "'prompt2prod-apps'"
    ) in problems
    assert any(p.startswith("HTTPRoute.spec.parentRefs[]") for p in problems)
