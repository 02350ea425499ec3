"""The credential-free render keeps its contract (docs/render-and-checks.md): the real program under mocks, a stable
`resources.json` + `manifests/` layout, integers as integers, secrets as "[secret]", resource options
visible, and byte-identical output across runs so that a pull request can diff two renders."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from infra.render import run_program, write_render
from tests.support import run_module


def _render_cli(stack: str, out: Path) -> subprocess.CompletedProcess[str]:
    return run_module("infra.render", "--stack", stack, "--out", str(out), timeout=300)


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_two_renders_are_byte_identical(tmp_path: Path) -> None:
    first, second = _render_cli("dev", tmp_path / "a"), _render_cli("dev", tmp_path / "b")

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    assert "resources.json" in _tree(tmp_path / "a")


def test_resources_json_lists_every_resource_with_its_graph(tmp_path: Path, render_stack: Any) -> None:
    write_render(render_stack("dev"), tmp_path / "out")
    document = json.loads((tmp_path / "out" / "resources.json").read_text())

    assert document["project"] == "prompt2prod"
    assert document["stack"] == "dev"
    assert document["outputs"]["environment"] == "dev"
    for resource in document["resources"]:
        assert set(resource) == {"urn", "type", "name", "parent", "provider", "dependsOn", "options", "inputs"}
        assert set(resource["options"]) >= {"protect", "retainOnDelete", "ignoreChanges"}
    kubernetes = [r for r in document["resources"] if r["type"].startswith("kubernetes:core/v1:Namespace")]
    assert kubernetes
    assert all(r["provider"].startswith("urn:pulumi:dev::prompt2prod::pulumi:providers:kubernetes") for r in kubernetes)


def _sample_program() -> dict[str, pulumi.Output[Any]]:
    provider = k8s.Provider("sample", kubeconfig="{}")
    token = pulumi.Output.secret("sample-token-value")
    deployment = k8s.apps.v1.Deployment(
        "sample",
        metadata={"name": "sample", "namespace": "apps"},
        spec={
            "replicas": 3,
            "selector": {"match_labels": {"app": "sample"}},
            "template": {
                "metadata": {"labels": {"app": "sample"}},
                "spec": {"containers": [{"name": "c", "image": "nginx:1.27.0", "ports": [{"container_port": 8080}]}]},
            },
        },
        opts=pulumi.ResourceOptions(provider=provider, protect=True, retain_on_delete=True, ignore_changes=["spec"]),
    )
    secret = k8s.core.v1.Secret(
        "sample-secret",
        metadata={"name": "sample", "namespace": "apps"},
        string_data={"token": token},
        opts=pulumi.ResourceOptions(provider=provider),
    )
    return {
        "replicas": deployment.spec.replicas,
        "token": secret.string_data.apply(lambda data: (data or {}).get("token")),
    }


def test_manifests_are_apply_ready_with_integers_and_hidden_secrets(tmp_path: Path) -> None:
    result = run_program("sample", {}, frozenset(), program=_sample_program)
    write_render(result, tmp_path / "out")

    deployment = yaml.safe_load((tmp_path / "out/manifests/apps--deployment--sample.yaml").read_text())
    secret = yaml.safe_load((tmp_path / "out/manifests/apps--secret--sample.yaml").read_text())
    document = (tmp_path / "out/resources.json").read_text()

    assert deployment["apiVersion"] == "apps/v1"
    assert deployment["spec"]["replicas"] == 3
    assert deployment["spec"]["template"]["spec"]["containers"][0]["ports"][0] == {"containerPort": 8080}
    assert secret["stringData"] == {"token": "[secret]"}
    assert "sample-token-value" not in document
    assert json.loads(document)["outputs"] == {"replicas": 3, "token": "[secret]"}


def test_resource_options_are_recorded() -> None:
    result = run_program("sample", {}, frozenset(), program=_sample_program)

    deployment = result.of_type("kubernetes:apps/v1:Deployment")[0]
    assert deployment.options["protect"] is True
    assert deployment.options["retainOnDelete"] is True
    assert deployment.options["ignoreChanges"] == ["spec"]


def test_outputs_are_what_the_sdk_registers_for_the_stack() -> None:
    """The render's outputs come from the SDK's serialization of the root stack's exports, as the engine gets them:
    a `None` output is dropped there (and so missing from `pulumi stack output --json`), a secret stays a secret."""

    def program() -> dict[str, pulumi.Output[Any]]:
        return {
            "present": pulumi.Output.from_input("here"),
            "absent": pulumi.Output.from_input(None),
            "token": pulumi.Output.secret("RENDER-CONTRACT-token"),
        }

    result = run_program("dev", {"prompt2prod:environment": "dev"}, frozenset(), program=program)

    assert result.outputs == {"present": "here", "token": "RENDER-CONTRACT-token"}
    assert result.secret_outputs == {"token"}
    assert result.document()["outputs"] == {"present": "here", "token": "[secret]"}
