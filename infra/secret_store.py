"""The secret store interface: how a workload receives secrets, always as files, never as env vars.

dev backs it with Kubernetes Secrets (`KubernetesSecretStore`, below); prod with Azure Key Vault through the
Secrets Store CSI driver and workload identity (`infra.key_vault`). A workload asks the store for a
`SecretMount` and adds its volume, mount, service-account annotations and pod labels to its pod spec.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import pulumi
import pulumi_kubernetes as k8s

DEFAULT_MOUNT_PATH = "/var/run/secrets/prompt2prod"


@dataclass(frozen=True, kw_only=True)
class WorkloadSecretsArgs:
    namespace: str
    service_account: str
    """The workload's ServiceAccount name (prod federates it with a managed identity)."""
    secrets: Mapping[str, pulumi.Input[str]]
    """File name -> secret value. Values must be secret Outputs (config secrets or pulumi-random results)."""
    mount_path: str = DEFAULT_MOUNT_PATH
    kubernetes_secret: bool = False
    """Also expose the values as a Kubernetes Secret, for charts that only read `existingSecret`."""


@dataclass(frozen=True, kw_only=True)
class SecretMount:
    volume: k8s.core.v1.VolumeArgs
    volume_mount: k8s.core.v1.VolumeMountArgs
    service_account_annotations: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    pod_labels: Mapping[str, str] = field(default_factory=dict)
    kubernetes_secret_name: pulumi.Output[str] | None = None
    """Set when `kubernetes_secret` was requested: the Secret's name in the workload namespace."""
    resources: list[pulumi.Resource] = field(default_factory=list)
    """What a pod using the mount must wait for."""

    def path(self, file_name: str) -> str:
        return f"{self.volume_mount.mount_path}/{file_name}"


class SecretStore(Protocol):
    kind: str

    def workload_secrets(
        self, name: str, args: WorkloadSecretsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> SecretMount: ...


class KubernetesSecretStore:
    """dev: one Kubernetes Secret per workload, mounted read-only as files (mode 0440)."""

    kind = "kubernetes"

    def workload_secrets(
        self, name: str, args: WorkloadSecretsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> SecretMount:
        secret = k8s.core.v1.Secret(
            f"{name}-secrets",
            metadata={"name": f"{name}-secrets", "namespace": args.namespace},
            type="Opaque",
            string_data={key: pulumi.Output.secret(value) for key, value in args.secrets.items()},
            opts=opts,
        )
        volume_name = f"{name}-secrets"
        return SecretMount(
            volume=k8s.core.v1.VolumeArgs(
                name=volume_name,
                secret=k8s.core.v1.SecretVolumeSourceArgs(secret_name=secret.metadata.name, default_mode=0o440),
            ),
            volume_mount=k8s.core.v1.VolumeMountArgs(name=volume_name, mount_path=args.mount_path, read_only=True),
            kubernetes_secret_name=secret.metadata.name if args.kubernetes_secret else None,
            resources=[secret],
        )
