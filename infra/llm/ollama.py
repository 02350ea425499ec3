"""`Ollama` — the local LLM server, its persistent model volume and the Job that preloads its models.

Creates, in the `llm` namespace:
- a PersistentVolumeClaim for the models (size and class from config; protected, retained on delete);
- a single-replica StatefulSet running the pinned `ollama/ollama` image as a non-root user, with HOME and
  OLLAMA_MODELS on that volume, a read-only root filesystem and an emptyDir for /tmp;
- a ClusterIP Service `ollama:11434` and a ServiceAccount without token automount;
- NetworkPolicies: the server admits only the generator and gateway namespaces and the preload pods, and may
  reach DNS and HTTPS on the internet (Ollama itself downloads the models); the preload pods may reach only
  DNS and the server;
- the model preload: a ConfigMap with the script, its ServiceAccount, and a Job named after a hash of the
  model list (see `infra.llm.preload`) that runs after the server is ready.

StatefulSet rather than Deployment: the model volume is ReadWriteOnce (local-path on K3s, an Azure disk on
AKS). A StatefulSet never runs two pods of the same identity, even while a node is unreachable, so a second
pod can never hang on a volume still attached elsewhere; a Deployment would need `Recreate` and still
replaces pods on lost nodes. The claim is a plain PVC declared by Pulumi, not a `volumeClaimTemplate`: Pulumi
then owns it (protection, a visible size change in preview, resizing where the storage class allows), while
a template's claims are created by the controller and its size can never change in place.

One replica: Ollama keeps models in memory per process and the volume is single-writer, so there is no
second replica to keep available; a PodDisruptionBudget would only block node drains, so none is created.

GPU (optional): requests `nvidia.com/gpu`, selects nodes labelled `prompt2prod.io/gpu=true` and tolerates
the GPU pool's `nvidia.com/gpu=present:NoSchedule` taint (`infra.topology`). CPU-only by default.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from infra import pod_spec, topology, versions
from infra.config.ollama import OllamaConfig
from infra.llm.preload import (
    SCRIPT_FILE,
    preload_container,
    preload_job_name,
    preload_job_spec,
    preload_labels,
    preload_pod_spec,
    preload_script,
)

MODELS_PATH = "/models"
# The image's own user is root; any high UID works because Ollama only needs HOME and OLLAMA_MODELS writable.
OLLAMA_UID = 10001
MODEL_VOLUME = "models"
# Ollama's downloads go to the registry and its CDN over HTTPS; the non-public ranges (the cluster, the node's
# metadata endpoint) stay closed. Listed in the order the deployed NetworkPolicy has them (a reorder is an update).
MODEL_DOWNLOAD_EXCLUDED = (*pod_spec.RFC1918_IPV4, pod_spec.LINK_LOCAL_IPV4, pod_spec.CGNAT_IPV4)


@dataclass(frozen=True, kw_only=True)
class OllamaArgs:
    config: OllamaConfig
    storage_class: str
    """The cluster's storage class; `config.storage.storageClass` overrides it."""
    namespace_ready: Sequence[pulumi.Resource] = ()
    """What creates the `llm` namespace; every object waits for it."""
    device_plugin_ready: Sequence[pulumi.Resource] = ()
    """GPU: what makes the nodes advertise `nvidia.com/gpu` (the device plugin); the component is registered after
    it."""


def server_labels() -> dict[str, str]:
    return topology.labels("ollama", "server")


def _selector(labels: dict[str, str]) -> dict[str, str]:
    return {key: labels[key] for key in ("app.kubernetes.io/name", "app.kubernetes.io/component")}


def ollama_env(settings: OllamaConfig) -> list[k8s.core.v1.EnvVarArgsDict]:
    return [
        {"name": "OLLAMA_HOST", "value": f"0.0.0.0:{topology.OLLAMA_PORT}"},
        # Ollama writes its identity key under $HOME/.ollama: HOME must be writable, so it is the volume.
        {"name": "HOME", "value": MODELS_PATH},
        {"name": "OLLAMA_MODELS", "value": MODELS_PATH},
        {"name": "OLLAMA_KEEP_ALIVE", "value": settings.keep_alive},
        {"name": "OLLAMA_NUM_PARALLEL", "value": str(settings.num_parallel)},
        {"name": "OLLAMA_MAX_LOADED_MODELS", "value": str(settings.max_loaded_models)},
    ]


def ollama_container(settings: OllamaConfig) -> k8s.core.v1.ContainerArgsDict:
    gpu = {topology.GPU_RESOURCE: str(settings.gpu.count)} if settings.gpu.enabled else None

    def probe(period: int, failures: int) -> k8s.core.v1.ProbeArgsDict:
        return {
            "http_get": {"path": "/api/version", "port": "http"},
            "period_seconds": period,
            "timeout_seconds": 5,
            "failure_threshold": failures,
        }

    return {
        "name": "ollama",
        "image": f"{versions.OLLAMA_IMAGE}:{settings.image_tag}",
        "image_pull_policy": "IfNotPresent",
        "args": ["serve"],
        "env": ollama_env(settings),
        "ports": [{"name": "http", "container_port": topology.OLLAMA_PORT, "protocol": "TCP"}],
        "resources": pod_spec.resource_requirements(settings.resources, gpu),
        # Startup prunes unreferenced blobs on the volume, which takes a while on a full disk: up to 5 minutes.
        "startup_probe": probe(period=5, failures=60),
        "liveness_probe": probe(period=20, failures=3),
        "readiness_probe": probe(period=10, failures=2),
        "volume_mounts": [
            {"name": MODEL_VOLUME, "mount_path": MODELS_PATH},
            pod_spec.tmp_mount(),
        ],
        "security_context": pod_spec.container_security_context(OLLAMA_UID),
    }


def ollama_pod_spec(
    settings: OllamaConfig, *, service_account: pulumi.Input[str], claim: pulumi.Input[str]
) -> k8s.core.v1.PodSpecArgsDict:
    spec: k8s.core.v1.PodSpecArgsDict = {
        "service_account_name": service_account,
        "automount_service_account_token": False,
        # Service links would inject OLLAMA_PORT/OLLAMA_SERVICE_* variables (from the Service named `ollama`).
        "enable_service_links": False,
        # fsGroup is applied by CSI drivers such as Azure Disk (local-path volumes are host directories it creates
        # 0777). The volume holds many GB: re-own it only when its root is not ours yet, not on every start.
        "security_context": pod_spec.pod_security_context(
            OLLAMA_UID, fs_group=True, fs_group_change_policy="OnRootMismatch"
        ),
        "containers": [ollama_container(settings)],
        "volumes": [
            {"name": MODEL_VOLUME, "persistent_volume_claim": {"claim_name": claim}},
            pod_spec.tmp_volume("1Gi"),
        ],
    }
    if settings.gpu.enabled:
        spec["node_selector"] = pod_spec.gpu_node_selector()
        spec["tolerations"] = pod_spec.gpu_tolerations()
    return spec


def model_volume_spec(
    settings: OllamaConfig, cluster_storage_class: str
) -> k8s.core.v1.PersistentVolumeClaimSpecArgsDict:
    return {
        "access_modes": ["ReadWriteOnce"],
        "storage_class_name": settings.storage.storage_class or cluster_storage_class,
        "resources": {"requests": {"storage": settings.storage.size}},
    }


NetworkPolicySpec = k8s.networking.v1.NetworkPolicySpecArgsDict


def server_network_policy_spec() -> NetworkPolicySpec:
    return {
        "pod_selector": {"match_labels": _selector(server_labels())},
        "policy_types": ["Ingress", "Egress"],
        "ingress": [
            {
                "from_": [
                    pod_spec.namespace_peer(topology.NAMESPACE_GENERATOR),
                    # kgateway runs the Gateway's Envoy data plane in the Gateway's namespace.
                    pod_spec.namespace_peer(topology.NAMESPACE_GATEWAY),
                    {"pod_selector": {"match_labels": _selector(preload_labels())}},
                ],
                "ports": [{"port": topology.OLLAMA_PORT, "protocol": "TCP"}],
            }
        ],
        "egress": [pod_spec.dns_egress_rule(), pod_spec.public_https_egress_rule(MODEL_DOWNLOAD_EXCLUDED)],
    }


def preload_network_policy_spec() -> NetworkPolicySpec:
    return {
        "pod_selector": {"match_labels": _selector(preload_labels())},
        "policy_types": ["Ingress", "Egress"],
        "ingress": [],
        "egress": [
            pod_spec.dns_egress_rule(),
            {
                "to": [{"pod_selector": {"match_labels": _selector(server_labels())}}],
                "ports": [{"port": topology.OLLAMA_PORT, "protocol": "TCP"}],
            },
        ],
    }


class Ollama(pulumi.ComponentResource):
    url: pulumi.Output[str]
    """In-cluster base URL of the Ollama API, e.g. http://ollama.llm.svc.cluster.local:11434."""
    models: pulumi.Output[list[str]]

    def __init__(self, name: str, args: OllamaArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        # The component waits for the device plugin; its children are registered only after it.
        ready = pulumi.ResourceOptions(depends_on=list(args.device_plugin_ready))
        super().__init__("prompt2prod:index:Ollama", name, None, pulumi.ResourceOptions.merge(opts, ready))
        after_namespace = list(args.namespace_ready)
        child = pulumi.ResourceOptions(parent=self, depends_on=after_namespace)
        settings, namespace = args.config, topology.NAMESPACE_LLM

        def metadata(object_name: str, labels: dict[str, str]) -> k8s.meta.v1.ObjectMetaArgsDict:
            return {"name": object_name, "namespace": namespace, "labels": labels}

        def account_and_policy(
            account: str, policy: str, object_name: str, labels: dict[str, str], spec: NetworkPolicySpec
        ) -> tuple[k8s.core.v1.ServiceAccount, k8s.networking.v1.NetworkPolicy]:
            """A ServiceAccount without an API token (Ollama never calls the API) and the pods' NetworkPolicy."""
            return (
                k8s.core.v1.ServiceAccount(
                    account, metadata=metadata(object_name, labels), automount_service_account_token=False, opts=child
                ),
                k8s.networking.v1.NetworkPolicy(policy, metadata=metadata(object_name, labels), spec=spec, opts=child),
            )

        account, server_policy = account_and_policy(
            f"{name}-serviceaccount", f"{name}-server-policy", "ollama", server_labels(), server_network_policy_spec()
        )
        # The models are many GB that take long to download again: the claim is protected (any update that would
        # delete or replace it fails, e.g. a storage class change) and retained if it ever leaves the program.
        # docs/ollama.md ("Storage") says how to delete it on purpose.
        volume = k8s.core.v1.PersistentVolumeClaim(
            f"{name}-models",
            metadata=metadata("ollama-models", server_labels()),
            spec=model_volume_spec(settings, args.storage_class),
            opts=pulumi.ResourceOptions(parent=self, depends_on=after_namespace, protect=True, retain_on_delete=True),
        )
        service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=metadata(topology.OLLAMA_SERVICE, server_labels()),
            spec={
                "type": "ClusterIP",
                "selector": _selector(server_labels()),
                "ports": [
                    {
                        "name": "http",
                        "port": topology.OLLAMA_PORT,
                        "target_port": "http",
                        "protocol": "TCP",
                        "app_protocol": "http",
                    }
                ],
            },
            opts=child,
        )
        server = k8s.apps.v1.StatefulSet(
            f"{name}-server",
            metadata={
                **metadata(topology.OLLAMA_STATEFULSET, server_labels()),
                "annotations": pod_spec.image_pinning_skips("stack config (ollama.imageTag)"),
            },
            spec={
                "replicas": 1,
                # The ClusterIP Service: one replica needs no per-pod DNS names, so no headless Service.
                "service_name": service.metadata.name,
                "selector": {"match_labels": _selector(server_labels())},
                "template": {
                    "metadata": {"labels": server_labels()},
                    "spec": ollama_pod_spec(
                        settings, service_account=account.metadata.name, claim=volume.metadata.name
                    ),
                },
            },
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[*after_namespace, server_policy],
                # The first rollout on a node pulls the Ollama image, GPU libraries included (GBs): more than the
                # provider's default 10 minutes on a slow link.
                custom_timeouts=pulumi.CustomTimeouts(create="30m", update="30m"),
            ),
        )

        preload_account, preload_policy = account_and_policy(
            f"{name}-preload-serviceaccount",
            f"{name}-preload-policy",
            "ollama-preload",
            preload_labels(),
            preload_network_policy_spec(),
        )
        script = k8s.core.v1.ConfigMap(
            f"{name}-preload-script",
            metadata=metadata("ollama-preload-script", preload_labels()),
            data={SCRIPT_FILE: preload_script()},
            opts=child,
        )
        self.url = pulumi.Output.concat(
            "http://",
            service.metadata.name,
            ".",
            service.metadata.namespace,
            f".svc.cluster.local:{topology.OLLAMA_PORT}",
        )
        timeout = f"{settings.preload_timeout_minutes}m"
        job_metadata = metadata(preload_job_name(settings.models, settings.prune_models), preload_labels())
        # A Job that failed is replaced on the next `up` instead of being awaited again.
        job_metadata["annotations"] = {
            "pulumi.com/replaceUnready": "true",
            **pod_spec.image_pinning_skips("stack config (ollama.preloadImageTag)"),
        }
        preload_spec = preload_pod_spec(
            container=preload_container(
                image_tag=settings.preload_image_tag,
                ollama_url=self.url,
                models=settings.models,
                prune=settings.prune_models,
            ),
            service_account=preload_account.metadata.name,
            config_map=script.metadata.name,
        )
        k8s.batch.v1.Job(
            f"{name}-preload",
            metadata=job_metadata,
            spec=preload_job_spec(
                pod_spec=preload_spec,
                backoff_limit=settings.preload_backoff_limit,
                timeout_minutes=settings.preload_timeout_minutes,
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                # Pulumi awaits the server's readiness (StatefulSet rollout) before the Job starts pulling.
                depends_on=[*after_namespace, server, service, preload_policy],
                # The Job's name changes with the model list; deleting the old Job first also lets a same-name
                # replacement (an edited pod template) go through.
                delete_before_replace=True,
                custom_timeouts=pulumi.CustomTimeouts(create=timeout, update=timeout),
            ),
        )
        self.models = pulumi.Output.from_input(list(settings.models))
        self.register_outputs({"url": self.url, "models": self.models})
