"""`InClusterRegistry` — a `registry:2` (CNCF distribution) workload inside the dev cluster.

Creates, in the `registry` namespace:
- a PersistentVolumeClaim for the image layers (kept when the stack is destroyed, see below);
- a ServiceAccount without an API token (the registry never talks to Kubernetes);
- a one-replica Deployment (strategy `Recreate`: the volume is ReadWriteOnce) running as a non-root user with a
  read-only root filesystem, probed on `/v2/`;
- a NodePort Service, so that the K3s node's containerd pulls from `localhost:<nodePort>` (see `registries_yaml`);
- a NetworkPolicy: only the registry port is reachable, and the registry opens no connection itself.

The registry has no authentication: keep its NodePort on a trusted network (docs/clusters.md, "Registry").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import yaml

from infra import pod_spec, topology
from infra.config.base import Resources
from infra.config.registry import InClusterRegistrySettings

APP = "registry"
COMPONENT = "image-registry"
CONTAINER_PORT = 5000
DATA_PATH = "/var/lib/registry"
# The image has no USER; the registry binary needs no privilege: any uid that can write the volume works.
RUN_AS = 10000


@dataclass(frozen=True, kw_only=True)
class InClusterRegistryArgs:
    config: InClusterRegistrySettings
    """Image, volume size and NodePort (`registry.inCluster`)."""
    storage_class: str
    namespace: str = topology.NAMESPACE_REGISTRY
    namespace_ready: Sequence[pulumi.Resource] = ()
    """What creates the namespace; the component is registered after it."""


def login_server(node_port: int) -> str:
    """What `docker push` and pod image references use: the NodePort on the K3s node's loopback."""
    return f"localhost:{node_port}"


def registries_yaml(node_port: int) -> str:
    """K3s `/etc/rancher/k3s/registries.yaml`: containerd reaches the registry over plain HTTP on the NodePort.

    Without it containerd insists on HTTPS and every pull of `localhost:<nodePort>/...` fails.
    """
    host = login_server(node_port)
    document = {"mirrors": {host: {"endpoint": [f"http://{host}"]}}}
    return yaml.safe_dump(document, sort_keys=True, default_flow_style=False)


def image_reference(config: InClusterRegistrySettings) -> str:
    reference = f"{config.image}:{config.image_tag}"
    return f"{reference}@{config.image_digest}" if config.image_digest else reference


def registry_container(config: InClusterRegistrySettings) -> k8s.core.v1.ContainerArgsDict:
    probe: k8s.core.v1.ProbeArgsDict = {"http_get": {"path": "/v2/", "port": "http"}, "period_seconds": 10}
    return {
        "name": APP,
        "image": image_reference(config),
        "image_pull_policy": "IfNotPresent",
        "ports": [{"name": "http", "container_port": CONTAINER_PORT, "protocol": "TCP"}],
        "env": [
            {"name": "REGISTRY_HTTP_ADDR", "value": f":{CONTAINER_PORT}"},
            {"name": "REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY", "value": DATA_PATH},
            # Lets `registry garbage-collect` reclaim the space of deleted manifests.
            {"name": "REGISTRY_STORAGE_DELETE_ENABLED", "value": "true"},
        ],
        "readiness_probe": {**probe, "failure_threshold": 3},
        "liveness_probe": {**probe, "initial_delay_seconds": 10, "failure_threshold": 6},
        "resources": pod_spec.resource_requirements(
            Resources(cpu_request="50m", memory_request="64Mi", cpu_limit="500m", memory_limit="256Mi")
        ),
        "security_context": pod_spec.container_security_context(RUN_AS, declare_unprivileged=True),
        "volume_mounts": [{"name": "data", "mount_path": DATA_PATH}, pod_spec.tmp_mount()],
    }


def registry_pod_spec(config: InClusterRegistrySettings, claim_name: pulumi.Input[str]) -> k8s.core.v1.PodSpecArgsDict:
    return {
        "service_account_name": APP,
        "automount_service_account_token": False,
        "enable_service_links": False,
        # Volumes with ownership management become writable for this gid (fsGroup); K3s's local-path provisioner
        # creates its directories world-writable, so the non-root registry can store layers either way.
        "security_context": pod_spec.pod_security_context(RUN_AS, fs_group=True),
        "containers": [registry_container(config)],
        "volumes": [
            {"name": "data", "persistent_volume_claim": {"claim_name": claim_name}},
            # Blob uploads are staged under the storage root; /tmp is only for the odd library temp file.
            pod_spec.tmp_volume("64Mi"),
        ],
    }


class InClusterRegistry(pulumi.ComponentResource):
    login_server: pulumi.Output[str]
    service: k8s.core.v1.Service
    deployment: k8s.apps.v1.Deployment

    def __init__(self, name: str, args: InClusterRegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        # The component waits for its namespace; its children are registered only after it.
        ready = pulumi.ResourceOptions(depends_on=list(args.namespace_ready))
        super().__init__("prompt2prod:index:InClusterRegistry", name, None, pulumi.ResourceOptions.merge(opts, ready))
        child = pulumi.ResourceOptions(parent=self)
        labels = topology.labels(APP, COMPONENT)
        selector = {"app.kubernetes.io/name": APP, "app.kubernetes.io/component": COMPONENT}

        def metadata(object_name: str) -> k8s.meta.v1.ObjectMetaArgsDict:
            return {"name": object_name, "namespace": args.namespace, "labels": labels}

        claim = k8s.core.v1.PersistentVolumeClaim(
            f"{name}-data",
            metadata=metadata(f"{APP}-data"),
            spec={
                "access_modes": ["ReadWriteOnce"],
                "storage_class_name": args.storage_class,
                "resources": {"requests": {"storage": args.config.storage_size}},
            },
            # Pushed images are data, not configuration: `pulumi destroy` (or a replacement) must not delete them.
            # Remove the claim by hand (`kubectl -n registry delete pvc registry-data`) when you mean it.
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
        )
        account = k8s.core.v1.ServiceAccount(
            f"{name}-sa", metadata=metadata(APP), automount_service_account_token=False, opts=child
        )
        self.deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=metadata(APP),
            spec={
                "replicas": 1,
                "strategy": {"type": "Recreate"},
                "selector": {"match_labels": selector},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": registry_pod_spec(args.config, claim.metadata.name),
                },
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[account]),
        )
        self.service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=metadata(APP),
            spec={
                "type": "NodePort",
                "selector": selector,
                "ports": [
                    {
                        "name": "http",
                        "port": CONTAINER_PORT,
                        "target_port": "http",
                        "node_port": args.config.node_port,
                        "protocol": "TCP",
                    }
                ],
            },
            opts=child,
        )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-netpol",
            metadata=metadata(APP),
            spec={
                "pod_selector": {"match_labels": selector},
                "policy_types": ["Ingress", "Egress"],
                # Pushes come from the node (NodePort) and pulls from the node's containerd: no peer to select.
                "ingress": [{"ports": [{"port": CONTAINER_PORT, "protocol": "TCP"}]}],
                "egress": [],
            },
            opts=child,
        )
        self.login_server = pulumi.Output.from_input(login_server(args.config.node_port))
        self.register_outputs({"login_server": self.login_server})
