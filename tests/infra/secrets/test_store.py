"""dev secret store and the shared helpers: secrets reach pods as read-only files and never as plaintext.

Guards: a secret value in a rendered manifest; a writable or world-readable secret mount; a path-like "file name"
escaping the mount; a generated password that is not a secret, or one generated although the operator set it.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from infra.render import RenderResult
from infra.secrets.store import KubernetesSecretStore, SecretMount, WorkloadSecretsArgs, provided_or_generated
from tests.support.render import render_component


def render_workload(kubernetes_secret: bool) -> tuple[RenderResult, SecretMount]:
    mounts: list[SecretMount] = []

    def build(opts: pulumi.ResourceOptions) -> dict[str, Any]:
        mounts.append(
            KubernetesSecretStore().workload_secrets(
                "generator",
                WorkloadSecretsArgs(
                    namespace="generator",
                    service_account="generator",
                    secrets={"cloud-llm-api-key": pulumi.Output.secret("DEV-MARKER-key")},
                    kubernetes_secret=kubernetes_secret,
                ),
                opts=opts,
            )
        )
        name = mounts[0].kubernetes_secret_name
        return {"syncedSecret": name if name is not None else ""}

    return render_component(build), mounts[0]


def test_secret_is_written_in_the_workload_namespace_as_a_secret() -> None:
    result, _ = render_workload(kubernetes_secret=False)
    secret = result.named("generator-secrets")
    assert secret.inputs["metadata"]["namespace"] == "generator"
    assert secret.inputs["stringData"] == {"cloud-llm-api-key": "[secret]"}
    assert "DEV-MARKER" not in json.dumps(result.document())


def test_mount_is_read_only_and_group_readable_only() -> None:
    _, mount = render_workload(kubernetes_secret=False)
    assert mount.volume.get("secret", {}).get("default_mode") == 0o440
    assert mount.volume_mount().get("read_only") is True
    assert mount.path("cloud-llm-api-key") == "/var/run/secrets/prompt2prod/cloud-llm-api-key"
    assert mount.service_account_annotations == {}
    assert mount.pod_labels == {}


def test_kubernetes_secret_name_is_given_only_when_asked() -> None:
    result, _mount = render_workload(kubernetes_secret=True)
    assert result.outputs["syncedSecret"] == "generator-secrets"
    _, without = render_workload(kubernetes_secret=False)
    assert without.kubernetes_secret_name is None


@pytest.mark.parametrize(
    ("secrets", "mount_path", "message"),
    [
        ({}, "/s", "no secrets requested"),
        ({"../token": "x"}, "/s", "not plain file names"),
        ({"a/b": "x"}, "/s", "not plain file names"),
        ({"ok": "x"}, "relative", "not an absolute path"),
    ],
)
def test_bad_workload_secret_requests_are_refused(secrets: dict[str, str], mount_path: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WorkloadSecretsArgs(namespace="n", service_account="sa", secrets=secrets, mount_path=mount_path)


def test_provided_secret_is_used_and_nothing_is_generated() -> None:
    result = render_component(
        lambda _: {"password": provided_or_generated("grafana-admin-password", pulumi.Output.secret("given"))}
    )
    assert result.of_type("random:index/randomPassword:RandomPassword") == []
    assert result.outputs["password"] == "given"
    assert "password" in result.secret_outputs


def test_missing_secret_is_generated_as_a_secret() -> None:
    result = render_component(lambda _: {"password": provided_or_generated("grafana-admin-password", None)})
    generated = result.named("grafana-admin-password")
    assert generated.type == "random:index/randomPassword:RandomPassword"
    assert generated.inputs["length"] == 32
    assert generated.inputs["special"] is False
    assert "password" in result.secret_outputs
