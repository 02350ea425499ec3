"""The stack's one Kubernetes provider, built from a cluster's kubeconfig.

`stacks/` builds it once and passes it to every later component, so nothing Kubernetes can be declared before
the cluster exists.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from infra.cluster.handle import ClusterHandle


def kubernetes_provider(cluster: ClusterHandle) -> k8s.Provider:
    """The single Kubernetes provider of the stack, built from the cluster's kubeconfig (kept secret)."""
    return k8s.Provider(
        f"{cluster.name}-k8s",
        k8s.ProviderArgs(
            kubeconfig=pulumi.Output.secret(cluster.kubeconfig),
            # Server-side apply: field ownership is tracked, so Helm- and Pulumi-managed fields don't fight.
            enable_server_side_apply=True,
            delete_unreachable=False,
        ),
        opts=pulumi.ResourceOptions(depends_on=[cluster.resource]),
    )
