"""`ApiKeys` — the API keys of the public routes, one per client name, in the secret store.

Creates, in the `gateway` namespace:
- the keys in the `SecretStore` as one Kubernetes Secret whose entries are the client names (what kgateway's
  `apiKeyAuth` reads: entry name = client, value = key). dev writes that Secret itself; prod writes one Key Vault
  secret per client, which the Secrets Store CSI driver copies into the Secret and keeps following rotations —
  but only while a pod mounts them, so, where the store says so (`SecretMount.synced_while_mounted`):
- the `api-key-sync` ServiceAccount (the workload identity allowed to read exactly these vault secrets) and
  Deployment: one `pause` container that holds the mount and does nothing else, and a NetworkPolicy that denies it
  every connection (the CSI driver reads Key Vault from the node, not from the pod).

kgateway watches the Secret: adding, rotating or revoking a key changes the Secret, never the gateway's pods.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from infra import pod_spec, topology, versions
from infra.config.base import Resources
from infra.secrets.store import SecretMount, SecretStore, WorkloadSecretsArgs

SYNC_NAME = topology.API_KEY_SYNC
# The UID/GID the pause image runs as (its `USER 65535:65535`).
PAUSE_UID = 65535
SYNC_RESOURCES = Resources(cpu_request="5m", memory_request="8Mi", cpu_limit="50m", memory_limit="32Mi")
MOUNT_PATH = "/var/run/secrets/prompt2prod/api-key"


@dataclass(frozen=True, kw_only=True)
class ApiKeysArgs:
    keys: Mapping[str, pulumi.Input[str]]
    """Client name -> API key (secret Outputs: config secrets or `pulumi-random` results)."""
    secret_store: SecretStore
    namespace: str = topology.NAMESPACE_GATEWAY
    namespace_ready: Sequence[pulumi.Resource] = ()


def sync_labels() -> dict[str, str]:
    return topology.labels(SYNC_NAME, "secrets")


def sync_pod_spec(mount: SecretMount) -> k8s.core.v1.PodSpecArgsDict:
    """A pod that only holds the keys' CSI mount, so that the driver keeps the synced Secret (pure)."""
    return {
        "service_account_name": SYNC_NAME,
        # The CSI driver asks the kubelet for the identity token itself; the container never calls the API.
        "automount_service_account_token": False,
        "enable_service_links": False,
        "security_context": pod_spec.pod_security_context(PAUSE_UID),
        "containers": [
            {
                "name": "hold-mount",
                "image": f"{versions.PAUSE_IMAGE}:{versions.PAUSE_TAG}",
                "image_pull_policy": "IfNotPresent",
                "resources": pod_spec.resource_requirements(SYNC_RESOURCES),
                "security_context": pod_spec.container_security_context(PAUSE_UID),
                "volume_mounts": [mount.volume_mount()],
            }
        ],
        "volumes": [mount.volume],
    }


def sync_annotations() -> dict[str, str]:
    """checkov skips, each with its reason (the policy pack honours them too)."""
    return {
        **pod_spec.image_pinning_skips("infra/versions.py (PAUSE_TAG)", registry="registry.k8s.io"),
        "checkov.io/skip3": "CKV_K8S_8=pause serves nothing to probe: a running container is all it is for",
        "checkov.io/skip4": "CKV_K8S_9=pause serves nothing to probe and backs no Service, so it needs no readiness",
    }


def isolated_network_policy() -> k8s.networking.v1.NetworkPolicySpecArgsDict:
    """No ingress, no egress."""
    return {
        "pod_selector": {"match_labels": {"app.kubernetes.io/name": SYNC_NAME}},
        "policy_types": ["Ingress", "Egress"],
    }


class ApiKeys(pulumi.ComponentResource):
    secret_name: pulumi.Output[str]
    """The Kubernetes Secret (in `namespace`) whose entries are the keys, named by client."""
    clients: list[str]
    resources: list[pulumi.Resource]
    """What a policy reading the Secret waits for."""

    def __init__(self, name: str, args: ApiKeysArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("prompt2prod:index:ApiKeys", name, None, opts)
        if not args.keys:
            raise ValueError("no API keys: a public route with an empty key list would refuse every request")
        after_namespace = pulumi.ResourceOptions(parent=self, depends_on=list(args.namespace_ready))
        mount = args.secret_store.workload_secrets(
            name,
            WorkloadSecretsArgs(
                namespace=args.namespace,
                service_account=SYNC_NAME,
                secrets=dict(args.keys),
                mount_path=MOUNT_PATH,
                kubernetes_secret=True,
            ),
            opts=after_namespace,
        )
        if mount.kubernetes_secret_name is None:
            raise ValueError(f"secret store {args.secret_store.kind!r} did not provide a Kubernetes Secret")
        self.secret_name = mount.kubernetes_secret_name
        self.clients = sorted(args.keys)
        self.resources = list(mount.resources)
        if mount.synced_while_mounted:
            self.resources.append(self._sync_pod(name, args, mount, after_namespace))
        self.register_outputs({"secret_name": self.secret_name, "clients": self.clients})

    def _sync_pod(
        self, name: str, args: ApiKeysArgs, mount: SecretMount, after_namespace: pulumi.ResourceOptions
    ) -> pulumi.Resource:
        def metadata(annotations: Mapping[str, pulumi.Input[str]] | None = None) -> k8s.meta.v1.ObjectMetaArgsDict:
            meta: k8s.meta.v1.ObjectMetaArgsDict = {
                "name": SYNC_NAME,
                "namespace": args.namespace,
                "labels": sync_labels(),
            }
            if annotations:
                meta["annotations"] = dict(annotations)
            return meta

        account = k8s.core.v1.ServiceAccount(
            f"{name}-sync-sa",
            metadata=metadata(mount.service_account_annotations),
            automount_service_account_token=False,
            opts=after_namespace,
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-sync-netpol", metadata=metadata(), spec=isolated_network_policy(), opts=after_namespace
        )
        # Pulumi waits for the pod to be ready, i.e. for the mount (and so the synced Secret) to exist.
        return k8s.apps.v1.Deployment(
            f"{name}-sync",
            metadata=metadata(sync_annotations()),
            spec={
                "replicas": 1,
                "selector": {"match_labels": {"app.kubernetes.io/name": SYNC_NAME}},
                "template": {
                    "metadata": {"labels": {**sync_labels(), **mount.pod_labels}},
                    "spec": sync_pod_spec(mount),
                },
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*args.namespace_ready, account, *mount.resources]),
        )
