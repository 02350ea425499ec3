"""External registry credentials become an imagePullSecret without the password ever being plaintext.

Guards: a registry password in the rendered manifests or the state's inputs; a pull secret in the wrong namespace
or of a type kubelet ignores.
"""

from __future__ import annotations

import base64
import json

import pulumi

from infra.registry.pull_secret import RegistryPullSecret, RegistryPullSecretArgs, dockerconfigjson
from tests.support.render import render_component


def test_dockerconfigjson_holds_the_login_like_docker_login() -> None:
    document = json.loads(dockerconfigjson("ghcr.io", "bot", "s3cret"))
    entry = document["auths"]["ghcr.io"]
    assert entry["username"] == "bot"
    assert base64.b64decode(entry["auth"]).decode() == "bot:s3cret"


def test_pull_secret_is_a_secret_dockerconfigjson_in_the_generator_namespace() -> None:
    def build(opts: pulumi.ResourceOptions) -> None:
        RegistryPullSecret(
            "pull",
            RegistryPullSecretArgs(server="ghcr.io", username="bot", password=pulumi.Output.secret("PW-MARKER-9")),
            opts=opts,
        )

    result = render_component(build)
    secret = result.named("pull-generator")
    assert secret.inputs["type"] == "kubernetes.io/dockerconfigjson"
    assert secret.inputs["metadata"]["namespace"] == "generator"
    assert secret.inputs["stringData"] == {".dockerconfigjson": "[secret]"}
    assert "PW-MARKER-9" not in json.dumps(result.document())
