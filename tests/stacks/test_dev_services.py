"""dev wiring: the registry and secret store live in the cluster, after it, and nothing Azure is involved.

Guards: an Azure module imported (or an Azure resource declared) on the dev path; registry objects declared
before their namespace or with a provider other than the cluster's; the login server output missing.
"""

from __future__ import annotations

import json

from infra.render.manifests import is_kubernetes_object, manifest
from tests.support import RenderStack, validate_builtin_kinds

EXTERNAL = {"registry": {"kind": "external", "external": {"server": "ghcr.io", "username": "bot"}}}


def test_dev_outputs_the_in_cluster_login_server_and_no_vault(render_stack: RenderStack) -> None:
    outputs = render_stack("dev").outputs
    assert outputs["registryLoginServer"] == "localhost:30500"
    assert "keyVaultUri" not in outputs


def test_registry_objects_follow_their_namespace_and_use_the_cluster_provider(render_stack: RenderStack) -> None:
    result = render_stack("dev")
    namespace = result.named("platform-registry")
    provider = next(r for r in result.resources if r.type == "pulumi:providers:kubernetes")
    component = next(r for r in result.resources if r.type == "prompt2prod:index:InClusterRegistry")
    assert namespace.urn in component.depends_on
    objects = [r for r in result.resources if r.parent == component.urn]
    assert len(objects) == 5
    assert all(r.provider is not None and r.provider.startswith(provider.urn) for r in objects)


def test_external_registry_gets_a_pull_secret_and_no_in_cluster_registry(render_stack: RenderStack) -> None:
    result = render_stack("dev", EXTERNAL, secrets={"registryPassword": "EXT-MARKER-pw"})
    assert result.outputs["registryLoginServer"] == "ghcr.io"
    assert result.of_type("prompt2prod:index:InClusterRegistry") == []
    assert "registry" not in result.outputs["namespaces"]
    pull = result.named("registry-pull-generator")
    assert pull.inputs["type"] == "kubernetes.io/dockerconfigjson"
    assert result.named("platform-generator").urn in result.by_urn(pull.parent or "").depends_on
    assert "EXT-MARKER" not in json.dumps(result.document())


def test_external_registry_manifests_match_their_schemas(render_stack: RenderStack) -> None:
    result = render_stack("dev", EXTERNAL, secrets={"registryPassword": "pw"})
    for resource in result.resources:
        if is_kubernetes_object(resource):
            validate_builtin_kinds(manifest(resource))


def test_external_registry_without_user_needs_no_pull_secret(render_stack: RenderStack) -> None:
    result = render_stack("dev", {"registry": {"kind": "external", "external": {"server": "registry.example.com"}}})
    assert result.of_type("prompt2prod:index:RegistryPullSecret") == []
    assert result.outputs["registryLoginServer"] == "registry.example.com"
