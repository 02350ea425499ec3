"""`Namespaces` — the platform's namespaces, with Pod Security Admission levels.

Creates one `Namespace` per concern (see `infra.topology`). Application namespaces enforce the `restricted`
Pod Security Standard; namespaces that run third-party agents needing host access get `privileged` and say why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_kubernetes as k8s

from infra import topology

PodSecurityLevel = Literal["restricted", "baseline", "privileged"]

DEFAULT_NAMESPACES: Mapping[str, PodSecurityLevel] = {
    topology.NAMESPACE_LLM: "restricted",
    topology.NAMESPACE_GENERATOR: "restricted",
    topology.NAMESPACE_GATEWAY: "restricted",
    topology.NAMESPACE_GATEWAY_SYSTEM: "restricted",
    # Generated projects: code nobody reviewed, so the strictest level.
    topology.NAMESPACE_APPS: "restricted",
    # node-exporter and the log collector read host paths and host network: privileged by necessity.
    topology.NAMESPACE_MONITORING: "privileged",
}


@dataclass(frozen=True, kw_only=True)
class NamespacesArgs:
    levels: Mapping[str, PodSecurityLevel] = field(default_factory=lambda: dict(DEFAULT_NAMESPACES))


def namespace_metadata(name: str, level: PodSecurityLevel) -> k8s.meta.v1.ObjectMetaArgsDict:
    return {
        "name": name,
        "labels": {
            "app.kubernetes.io/part-of": topology.PART_OF,
            "pod-security.kubernetes.io/enforce": level,
            "pod-security.kubernetes.io/enforce-version": "latest",
            "pod-security.kubernetes.io/warn": "restricted",
        },
    }


class Namespaces(pulumi.ComponentResource):
    by_name: dict[str, k8s.core.v1.Namespace]

    def __init__(self, name: str, args: NamespacesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("prompt2prod:index:Namespaces", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.by_name = {
            ns: k8s.core.v1.Namespace(f"{name}-{ns}", metadata=namespace_metadata(ns, level), opts=child)
            for ns, level in args.levels.items()
        }
        self.register_outputs({"by_name": {ns: res.metadata.name for ns, res in self.by_name.items()}})
