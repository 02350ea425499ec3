"""dev: K3s on a host (or a cluster you bring), in-cluster registry, Kubernetes Secrets. No Azure import."""

from __future__ import annotations

from typing import Any

from infra.cluster.existing import ExistingCluster, ExistingClusterArgs
from infra.cluster.handle import ClusterHandle
from infra.cluster.k3s import K3sCluster, K3sClusterArgs
from infra.config import StackConfig
from infra.registry.in_cluster import registries_yaml
from stacks.config import secret
from stacks.dev_services import dev_namespaces, dev_services
from stacks.platform import build_platform
from stacks.services import EnvironmentParts


def build_cluster(config: StackConfig) -> ClusterHandle:
    settings = config.platform.cluster
    if settings.kind == "existing":
        return ExistingCluster(
            settings.name, ExistingClusterArgs(config=settings.existing, kubeconfig=secret("kubeconfig"))
        ).handle()
    k3s = settings.k3s
    registry = config.platform.registry
    return K3sCluster(
        settings.name,
        K3sClusterArgs(
            config=k3s,
            ssh_private_key=None if k3s.is_local else secret("sshPrivateKey"),
            # containerd pulls from the in-cluster registry's NodePort over plain HTTP.
            registries_yaml=registries_yaml(registry.in_cluster.node_port) if registry.kind == "inCluster" else None,
        ),
    ).handle()


def build(config: StackConfig) -> dict[str, Any]:
    # Pods only prefer to spread: a K3s cluster is usually one node.
    return build_platform(
        config,
        build_cluster(config),
        EnvironmentParts(
            services=lambda where: dev_services(config, where), namespaces=dev_namespaces(config), strict_spread=False
        ),
    )
