"""Both stacks: the cluster comes first, one Kubernetes provider built from its secret kubeconfig serves every
Kubernetes object, credentials stay secret, and every cluster output exists in both stacks."""

from __future__ import annotations

from typing import Any

import pytest

from infra.render import RenderResult
from tests.support import RenderStack

SSH_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nWIRING-TEST-KEY\n-----END OPENSSH PRIVATE KEY-----"
KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n"

# name -> (stack, overrides, secrets, resource types that make up the cluster)
SCENARIOS: dict[str, tuple[str, dict[str, Any], dict[str, str], set[str]]] = {
    "dev-local-k3s": ("dev", {}, {}, {"command:local:Command"}),
    "dev-remote-k3s": (
        "dev",
        {"cluster": {"k3s": {"host": "k3s.example.internal"}}},
        {"sshPrivateKey": SSH_KEY},
        {"command:remote:Command"},
    ),
    "dev-existing": ("dev", {"cluster": {"kind": "existing"}}, {"kubeconfig": KUBECONFIG}, set()),
    "prod": (
        "prod",
        {},
        {},
        {
            "azure-native:containerservice:ManagedCluster",
            "azure-native:containerservice:AgentPool",
            "azure-native:authorization:RoleAssignment",
        },
    ),
}


@pytest.fixture(scope="module", params=sorted(SCENARIOS))
def scenario(request: pytest.FixtureRequest, render_stack: RenderStack) -> tuple[str, RenderResult, set[str]]:
    stack, overrides, secrets, cluster_types = SCENARIOS[request.param]
    return request.param, render_stack(stack, overrides, secrets), cluster_types


def test_every_kubernetes_object_uses_the_one_provider_that_waits_for_the_cluster(
    scenario: tuple[str, RenderResult, set[str]],
) -> None:
    _, result, cluster_types = scenario
    (provider,) = result.of_type("pulumi:providers:kubernetes")
    kubernetes = [r for r in result.resources if r.custom and r.type.startswith("kubernetes:")]
    assert kubernetes, "the platform declares Kubernetes objects"
    assert {r.provider for r in kubernetes} == {f"{provider.urn}::{provider.name}-id"}
    # The cluster's own resources (other components declare e.g. role assignments of the same types).
    cluster_resources = {r.urn for r in result.resources if r.type in cluster_types and "Cluster$" in r.urn}
    assert cluster_resources <= set(provider.depends_on)
    assert {result.by_urn(urn).type for urn in cluster_resources} == cluster_types


def test_provider_kubeconfig_and_output_are_secret(scenario: tuple[str, RenderResult, set[str]]) -> None:
    _, result, _ = scenario
    (provider,) = result.of_type("pulumi:providers:kubernetes")
    assert provider.inputs["kubeconfig"] == "[secret]"
    assert "kubeconfig" in result.secret_outputs
    assert result.document()["outputs"]["kubeconfig"] == "[secret]"


def test_no_credential_appears_in_any_input(scenario: tuple[str, RenderResult, set[str]]) -> None:
    _, result, _ = scenario
    text = str([r.as_json() for r in result.resources])
    assert "WIRING-TEST-KEY" not in text
    assert "mock-token-not-a-secret" not in text  # the (mock) K3s kubeconfig read back from the host
    assert "devicecode" not in text
    assert "kubelogin" not in text


def test_cluster_outputs_exist_in_every_stack(scenario: tuple[str, RenderResult, set[str]]) -> None:
    name, result, _ = scenario
    outputs = result.outputs
    assert {"clusterName", "clusterKind", "kubernetesVersion"} <= set(outputs)
    if name == "prod":
        assert (outputs["clusterKind"], outputs["kubernetesVersion"], outputs["location"]) == (
            "aks",
            "1.33",
            "westeurope",
        )
        assert outputs["resourceGroupName"] == "prompt2prod-rg"
        assert outputs["oidcIssuerUrl"].startswith("https://westeurope.oic.prod-aks.azure.com/")
    else:
        assert outputs["clusterKind"] == ("existing" if name == "dev-existing" else "k3s")
        assert outputs["kubernetesVersion"] == ("1.33" if name == "dev-existing" else "1.33.5")
        # The SDK drops outputs whose value is None: Azure-only outputs are absent, as `pulumi stack output` shows.
        assert not {"resourceGroupName", "location", "oidcIssuerUrl"} & set(outputs)
