"""dev: K3s on a host (or a cluster you bring), in-cluster registry, Kubernetes Secrets. No Azure import."""

from __future__ import annotations

from typing import Any

from infra.config import StackConfig
from infra.k3s import K3sCluster, K3sClusterArgs, k3s_handle
from stacks.config import secret
from stacks.platform import build_platform


def build(config: StackConfig) -> dict[str, Any]:
    settings = config.platform.cluster
    k3s = settings.k3s
    cluster = K3sCluster(
        settings.name,
        K3sClusterArgs(
            host=k3s.host,
            version=k3s.version,
            ssh_user=k3s.ssh_user,
            ssh_port=k3s.ssh_port,
            ssh_private_key=None if k3s.is_local else secret("sshPrivateKey"),
        ),
    )
    return build_platform(config, k3s_handle(settings.name, cluster, k3s.version))
