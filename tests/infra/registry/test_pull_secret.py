"""External registry credentials become an imagePullSecret without the password ever being plaintext.

Guards: a registry password in the rendered manifests or the state's inputs; a pull secret in the wrong namespace
or of a type kubelet ignores.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra.registry.pull_secret import RegistryPullSecret, RegistryPullSecretArgs, dockerconfigjson
from infra.render import run_program
from tests.support import stack_input


def test_dockerconfigjson_holds_the_login_like_docker_login() -> None:
    document = json.loads(dockerconfigjson("ghcr.io", "bot", "s3cret"))
    entry = document["auths"]["ghcr.io"]
    assert entry["username"] == "bot"
    assert base64.b64decode(entry["auth"]).decode() == "bot:s3cret"


def test_pull_secret_is_a_secret_dockerconfigjson_in_the_generator_namespace() -> None:
    def program() -> dict[str, pulumi.Output[Any]]:
        provider = k8s.Provider("k", kubeconfig="{}")
        RegistryPullSecret(
            "pull",
            RegistryPullSecretArgs(server="ghcr.io", username="bot", password=pulumi.Output.secret("PW-MARKER-9")),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )
        return {}

    given = stack_input("dev")
    result = run_program("dev", given.values, given.secret_keys, program=program)
    secret = result.named("pull-generator")
    assert secret.inputs["type"] == "kubernetes.io/dockerconfigjson"
    assert secret.inputs["metadata"]["namespace"] == "generator"
    assert secret.inputs["stringData"] == {".dockerconfigjson": "[secret]"}
    assert "PW-MARKER-9" not in json.dumps(result.document())
