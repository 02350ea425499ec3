"""`RegistryPullSecret` — pull credentials for an external registry, as an imagePullSecret (dev, `external`).

Creates one Secret of type `kubernetes.io/dockerconfigjson` per namespace that pulls from the registry. The
password comes from the `registryPassword` config secret and stays a Pulumi secret all the way: the JSON document
is built inside `Output` and marked secret, so neither the state's inputs nor a preview show it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from infra import topology

SECRET_NAME = "registry-pull"  # noqa: S105 - the Secret object's name


@dataclass(frozen=True, kw_only=True)
class RegistryPullSecretArgs:
    server: str
    username: str
    password: pulumi.Input[str]
    """A secret Output (the `registryPassword` config secret)."""
    namespaces: Sequence[str] = (topology.NAMESPACE_GENERATOR,)
    namespace_ready: Sequence[pulumi.Resource] = ()
    """What creates those namespaces; the component is registered after it."""


def dockerconfigjson(server: str, username: str, password: str) -> str:
    """The `.dockerconfigjson` document `docker login` would write for one registry."""
    auth = base64.b64encode(f"{username}:{password}".encode()).decode()
    return json.dumps({"auths": {server: {"username": username, "password": password, "auth": auth}}})


class RegistryPullSecret(pulumi.ComponentResource):
    """Pods name the Secret `SECRET_NAME` in `imagePullSecrets`; nothing else is read back."""

    def __init__(self, name: str, args: RegistryPullSecretArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        # The component waits for the namespaces; its children are registered only after it.
        ready = pulumi.ResourceOptions(depends_on=list(args.namespace_ready))
        super().__init__("prompt2prod:index:RegistryPullSecret", name, None, pulumi.ResourceOptions.merge(opts, ready))
        child = pulumi.ResourceOptions(parent=self)
        password: pulumi.Output[str] = pulumi.Output.from_input(args.password)
        raw: pulumi.Output[str] = password.apply(lambda pw: dockerconfigjson(args.server, args.username, pw))
        document: pulumi.Output[str] = pulumi.Output.secret(raw)
        for namespace in args.namespaces:
            k8s.core.v1.Secret(
                f"{name}-{namespace}",
                metadata={
                    "name": SECRET_NAME,
                    "namespace": namespace,
                    "labels": topology.labels("registry", "pull-credentials"),
                },
                type="kubernetes.io/dockerconfigjson",
                string_data={".dockerconfigjson": document},
                opts=child,
            )
        self.register_outputs({})
