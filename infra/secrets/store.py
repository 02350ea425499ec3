"""The secret store interface: how a workload receives secrets, always as files, never as env vars.

dev backs it with Kubernetes Secrets (`KubernetesSecretStore`, below); prod with Azure Key Vault through the
Secrets Store CSI driver and workload identity (`infra.secrets.key_vault`). A workload asks the store for a
`SecretMount` and adds its volume, mount, service-account annotations and pod labels to its pod spec.

`provided_or_generated` gives a workload a password that is the operator's config secret when one is set, and a
`pulumi-random` password otherwise (e.g. Grafana's admin password); either way a secret Output.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from infra import topology

DEFAULT_MOUNT_PATH = "/var/run/secrets/prompt2prod"
# Owner and group may read, nobody else; the group is the pod's fsGroup.
FILE_MODE = 0o440
FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


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

    def __post_init__(self) -> None:
        if not self.secrets:
            raise ValueError(f"{self.namespace}/{self.service_account}: no secrets requested")
        bad = sorted(name for name in self.secrets if not FILE_NAME.match(name))
        if bad:
            raise ValueError(f"secret file names {bad} are not plain file names (letters, digits, '.', '_', '-')")
        if not self.mount_path.startswith("/"):
            raise ValueError(f"mount_path {self.mount_path!r} is not an absolute path")


@dataclass(frozen=True, kw_only=True)
class SecretMount:
    """What a pod adds to receive its secrets as read-only files under `mount_path`.

    Files are readable by the pod's `fsGroup` (set one: restricted workloads run as non-root).
    """

    volume: k8s.core.v1.VolumeArgsDict
    mount_path: str
    service_account_annotations: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    pod_labels: Mapping[str, str] = field(default_factory=dict)
    kubernetes_secret_name: pulumi.Output[str] | None = None
    """Set when `kubernetes_secret` was requested: the Secret's name in the workload namespace."""
    synced_while_mounted: bool = False
    """The Kubernetes Secret is a copy that exists (and follows rotations) only while some pod mounts `volume`:
    a consumer that reads the Secret through the API, not the files, needs a pod holding the mount."""
    resources: list[pulumi.Resource] = field(default_factory=list)
    """What a pod using the mount must wait for."""

    def volume_mount(self) -> k8s.core.v1.VolumeMountArgsDict:
        return {"name": self.volume["name"], "mount_path": self.mount_path, "read_only": True}

    def path(self, file_name: str) -> str:
        return f"{self.mount_path}/{file_name}"


class SecretStore(Protocol):
    kind: str

    def workload_secrets(
        self, name: str, args: WorkloadSecretsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> SecretMount: ...


class KubernetesSecretStore:
    """dev: one Kubernetes Secret per workload, mounted read-only as files (mode 0440, group = the pod's fsGroup)."""

    kind = "kubernetes"

    def workload_secrets(
        self, name: str, args: WorkloadSecretsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> SecretMount:
        secret_name = f"{name}-secrets"
        secret = k8s.core.v1.Secret(
            secret_name,
            metadata={
                "name": secret_name,
                "namespace": args.namespace,
                "labels": topology.labels(name, "secrets"),
            },
            type="Opaque",
            string_data={key: pulumi.Output.secret(value) for key, value in args.secrets.items()},
            opts=opts,
        )
        return SecretMount(
            volume={"name": secret_name, "secret": {"secret_name": secret.metadata.name, "default_mode": FILE_MODE}},
            mount_path=args.mount_path,
            kubernetes_secret_name=secret.metadata.name if args.kubernetes_secret else None,
            resources=[secret],
        )


def provided_or_generated(
    name: str, provided: pulumi.Input[str] | None, opts: pulumi.ResourceOptions | None = None, length: int = 32
) -> pulumi.Output[str]:
    """`provided` (a config secret) when set, else a generated password kept in state as a secret.

    Letters and digits only (about 190 bits at 32 characters), so the value survives URLs, env files and shells.
    """
    if provided is not None:
        return pulumi.Output.secret(provided)
    password = random.RandomPassword(
        name, length=length, special=False, min_lower=1, min_upper=1, min_numeric=1, opts=opts
    )
    return pulumi.Output.secret(password.result)
