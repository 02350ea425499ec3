"""What an environment hands the platform: where images live, where secrets come from, and how it behaves.

`stacks/dev.py` and `stacks/prod.py` each build an `EnvironmentParts`; `stacks.platform.build_platform` builds the
same platform on top of either, without knowing which environment it serves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import pulumi

from infra.cluster.handle import ClusterHandle
from infra.namespaces import Namespaces, PodSecurityLevel
from infra.observability.values import LokiBlobStorage
from infra.secrets.store import SecretStore


@dataclass(frozen=True, kw_only=True)
class ClusterServices:
    registry_login_server: pulumi.Input[str]
    """Where the generator image is pushed (`docker push <login server>/generator:<tag>`) and pulled from."""
    secret_store: SecretStore
    """Workloads ask it for their secrets as files (`workload_secrets`)."""
    key_vault_uri: pulumi.Input[str] | None = None
    """prod only."""
    registry_ready: Sequence[pulumi.Resource] = ()
    """What must exist before nodes can pull from the registry (prod: the pull grant, private endpoint and DNS)."""
    image_pull_secret: str | None = None
    """dev with a private external registry: the pull Secret's name in the generator namespace."""


@dataclass(frozen=True, kw_only=True)
class InCluster:
    """What the platform has declared when it asks the environment for its services."""

    cluster: ClusterHandle
    namespaces: Namespaces
    opts: pulumi.ResourceOptions
    """`providers=[<the stack's Kubernetes provider>]`, for components declared in the cluster."""


@dataclass(frozen=True, kw_only=True)
class EnvironmentParts:
    services: Callable[[InCluster], ClusterServices]
    """Builds (dev: in the cluster) or returns (prod: ACR and Key Vault, built next to AKS) the registry and the
    secret store."""
    namespaces: Mapping[str, PodSecurityLevel] = field(default_factory=dict)
    """Namespaces the environment's services need besides the platform's own."""
    loki_blob: LokiBlobStorage | None = None
    """Azure Blob storage for Loki's chunks; None keeps them on Loki's volume."""
    strict_spread: bool = False
    """Two generator pods of a track never share a node (needs several nodes)."""
