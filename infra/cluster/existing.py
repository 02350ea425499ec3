"""`ExistingCluster` — a cluster the user brings (dev, `cluster.kind: existing`).

Creates no cloud or host resource: it wraps the kubeconfig from the `prompt2prod:kubeconfig` secret (optionally
switched to a named context) so that the platform can be built on it exactly as on a K3s cluster it installed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import yaml

from infra.cluster.handle import ClusterHandle
from infra.config.cluster import ExistingClusterSettings


@dataclass(frozen=True, kw_only=True)
class ExistingClusterArgs:
    config: ExistingClusterSettings
    """Context (`None` keeps the kubeconfig's `current-context`), Kubernetes version and storage class."""
    kubeconfig: pulumi.Input[str]
    """The kubeconfig (a secret); kept secret throughout."""


def select_context(kubeconfig: str, context: str | None) -> str:
    """The kubeconfig with `current-context` set to `context`; unchanged when no context is asked for."""
    if context is None:
        return kubeconfig
    document: Any = yaml.safe_load(kubeconfig)
    if not isinstance(document, dict):
        raise ValueError("the kubeconfig secret is not a kubeconfig document")
    known = [entry.get("name") for entry in document.get("contexts") or [] if isinstance(entry, dict)]
    if context not in known:
        raise ValueError(f"cluster.existing.context {context!r} is not in the kubeconfig (contexts: {known})")
    document["current-context"] = context
    return yaml.safe_dump(document, sort_keys=False)


class ExistingCluster(pulumi.ComponentResource):
    kubeconfig: pulumi.Output[str]
    """Secret: the kubeconfig the platform deploys with."""
    kubernetes_version: str
    storage_class: str

    def __init__(self, name: str, args: ExistingClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("prompt2prod:index:ExistingCluster", name, None, opts)
        self._cluster_name = name
        config = args.config
        self.kubernetes_version = config.kubernetes_version
        self.storage_class = config.storage_class
        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.from_input(args.kubeconfig).apply(lambda text: select_context(text, config.context))
        )
        self.register_outputs({"kubeconfig": self.kubeconfig})

    def handle(self) -> ClusterHandle:
        return ClusterHandle(
            name=self._cluster_name,
            kind="existing",
            kubeconfig=self.kubeconfig,
            storage_class=self.storage_class,
            resource=self,
            kubernetes_version=self.kubernetes_version,
        )
