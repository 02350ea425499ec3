"""`build_platform` wiring outside any one component: where the generator image comes from, K3s's mirror of the
in-cluster registry (without it, containerd cannot pull the generator image in dev), and the spreading behaviour
each environment hands in."""

from __future__ import annotations

import base64
import re

import pytest
import yaml

from tests.support import RenderStack


def test_dev_stack_exports_the_generator_image_from_the_in_cluster_registry(render_stack: RenderStack) -> None:
    result = render_stack("dev", {"registry": {"inCluster": {"nodePort": 30555}}, "generator": {"imageTag": "1.4.2"}})
    assert result.outputs["registryLoginServer"] == "localhost:30555"
    assert result.outputs["generatorImage"] == "localhost:30555/prompt2prod-generator:1.4.2"


def test_k3s_mirrors_the_in_cluster_registry(render_stack: RenderStack) -> None:
    """containerd pulls the generator image from the registry the image names, over plain HTTP on its NodePort:
    the install writes that mirror into K3s's registries.yaml (what it does on a host: tests/infra/cluster)."""
    result = render_stack("dev", {"registry": {"inCluster": {"nodePort": 30555}}})
    script = result.named("prompt2prod-install").inputs["create"]
    (encoded,) = re.findall(r"printf '%s' (\S+) \| base64 -d", script)
    registries = yaml.safe_load(base64.b64decode(encoded))
    host = result.outputs["generatorImage"].split("/")[0]
    assert registries["mirrors"] == {host: {"endpoint": ["http://localhost:30555"]}}


def test_an_external_registry_is_pulled_from_its_server(render_stack: RenderStack) -> None:
    result = render_stack("dev", {"registry": {"kind": "external", "external": {"server": "ghcr.io"}}})
    assert result.outputs["generatorImage"].startswith("ghcr.io/")


def test_prod_pulls_from_acr(render_stack: RenderStack) -> None:
    result = render_stack("prod")
    assert result.outputs["registryLoginServer"].endswith(".azurecr.io")
    assert result.outputs["generatorImage"].startswith(result.outputs["registryLoginServer"])
    assert result.outputs["keyVaultUri"].startswith("https://")


def test_a_private_external_registry_is_pulled_with_its_pull_secret(render_stack: RenderStack) -> None:
    external = {"kind": "external", "external": {"server": "registry.example.com", "username": "ci"}}
    result = render_stack("dev", {"registry": external}, secrets={"registryPassword": "pw"})
    deployment = result.named("generator-deployment").inputs
    assert deployment["spec"]["template"]["spec"]["imagePullSecrets"] == [{"name": "registry-pull"}]
    (pull,) = [
        r for r in result.of_type("kubernetes:core/v1:Secret") if r.inputs["metadata"]["name"] == "registry-pull"
    ]
    assert pull.inputs["metadata"]["namespace"] == "generator"
    assert pull.inputs["type"] == "kubernetes.io/dockerconfigjson"


@pytest.mark.parametrize(("stack", "on_nodes"), [("dev", "ScheduleAnyway"), ("prod", "DoNotSchedule")])
def test_only_prod_forbids_two_generator_pods_on_one_node(stack: str, on_nodes: str, render_stack: RenderStack) -> None:
    """prod has several nodes (a drain must never take both replicas); dev's K3s is usually one node."""
    deployment = render_stack(stack).named("generator-deployment")
    (by_node,) = [
        rule
        for rule in deployment.inputs["spec"]["template"]["spec"]["topologySpreadConstraints"]
        if rule["topologyKey"] == "kubernetes.io/hostname"
    ]
    assert by_node["whenUnsatisfiable"] == on_nodes
