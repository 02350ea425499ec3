"""One smoke run of the whole program per stack: it completes under mocks, exports exactly the outputs
contract (`StackOutputs`), and every Kubernetes object goes through the single provider built from the cluster."""

from __future__ import annotations

import pytest

from infra.outputs.contract import StackOutputs
from tests.support import RenderStack


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_exports_the_outputs_contract(stack: str, render_stack: RenderStack) -> None:
    outputs = render_stack(stack).document()["outputs"]

    parsed = StackOutputs.model_validate(outputs)

    assert parsed.environment == stack
    assert outputs["kubeconfig"] == "[secret]"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_kubernetes_object_uses_the_one_provider_built_from_the_cluster(
    stack: str, render_stack: RenderStack
) -> None:
    result = render_stack(stack)
    providers = result.of_type("pulumi:providers:kubernetes")
    assert len(providers) == 1
    provider = providers[0]
    assert provider.inputs["kubeconfig"] == "[secret]"
    assert provider.depends_on, "the provider must wait for the cluster"

    objects = [r for r in result.resources if r.custom and r.type.startswith("kubernetes:")]
    assert objects
    strays = [r.urn for r in objects if not (r.provider or "").startswith(provider.urn)]
    assert not strays, f"declared without the cluster's provider: {strays}"
