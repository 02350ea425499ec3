"""dev: the registry and the secret store that live inside the cluster. No Azure import."""

from __future__ import annotations

import pulumi

from infra import topology
from infra.config import StackConfig
from infra.namespaces import PodSecurityLevel
from infra.registry.in_cluster import InClusterRegistry, InClusterRegistryArgs
from infra.registry.pull_secret import SECRET_NAME as PULL_SECRET_NAME
from infra.registry.pull_secret import RegistryPullSecret, RegistryPullSecretArgs
from infra.secrets.store import KubernetesSecretStore
from stacks.config import secret
from stacks.services import ClusterServices, InCluster


def dev_namespaces(config: StackConfig) -> dict[str, PodSecurityLevel]:
    """The in-cluster registry's namespace, when there is one."""
    return {topology.NAMESPACE_REGISTRY: "restricted"} if config.platform.registry.kind == "inCluster" else {}


def dev_services(config: StackConfig, where: InCluster) -> ClusterServices:
    """The in-cluster registry (or the external registry's pull secret) and Kubernetes Secrets as the store."""
    namespaces = where.namespaces
    registry = config.platform.registry
    login_server: pulumi.Input[str]
    pull_secret: str | None = None
    if registry.kind == "inCluster":
        login_server = InClusterRegistry(
            "registry",
            InClusterRegistryArgs(
                config=registry.in_cluster,
                storage_class=where.cluster.storage_class,
                namespace_ready=[namespaces.by_name[topology.NAMESPACE_REGISTRY]],
            ),
            opts=where.opts,
        ).login_server
    else:
        external = registry.external
        if external.server is None:  # validated by the config model; narrows the type
            raise ValueError("registry.external.server is required")
        login_server = external.server
        if external.username is not None:
            pull_secret = PULL_SECRET_NAME
            RegistryPullSecret(
                "registry-pull",
                RegistryPullSecretArgs(
                    server=external.server,
                    username=external.username,
                    password=secret("registryPassword"),
                    namespace_ready=[namespaces.by_name[topology.NAMESPACE_GENERATOR]],
                ),
                opts=where.opts,
            )
    return ClusterServices(
        registry_login_server=login_server, secret_store=KubernetesSecretStore(), image_pull_secret=pull_secret
    )
