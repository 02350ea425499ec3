"""`Generator` — the generator service (`app/`) on Kubernetes, in the `generator` namespace.

Creates:
- a ServiceAccount `generator` that mounts no API token (the app never calls the Kubernetes API); in prod it
  carries the workload identity annotations the secret store asks for;
- when the `cloudLlmApiKey` secret is configured, the key as a FILE from the `SecretStore` (`CLOUD_LLM_API_KEY_FILE`);
  without it cloud mode is off: no key file, no internet egress, and the app answers 503 for `x-llm-mode: cloud`;
- per track — `stable` always, `canary` when `gateway.canary.enabled` — a Deployment, a Service (`http`, 8000),
  a HorizontalPodAutoscaler on CPU and, from 2 replicas on, a PodDisruptionBudget. The tracks differ only in image
  tag and names (`generator` / `generator-canary`); the gateway splits traffic between the two Services by weight;
- one NetworkPolicy for both tracks: ingress from the gateway's proxies and Prometheus only; egress to Ollama,
  cluster DNS and, in cloud mode, HTTPS to public addresses;
- one ServiceMonitor for both tracks, created after the prometheus-operator CRDs (`crds_ready`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s

from infra import topology
from infra.config.base import Environment
from infra.config.generator import GeneratorConfig
from infra.secrets.store import SecretMount, SecretStore, WorkloadSecretsArgs

Track = Literal["stable", "canary"]

APP = "generator"
COMPONENT = "api"
IMAGE_NAME = "prompt2prod-generator"
TRACK_LABEL = "prompt2prod.io/track"
SERVICE_ACCOUNT = "generator"
CONTAINER = "generator"
PORT_NAME = "http"
API_KEY_FILE = "cloud-llm-api-key"

# The UID/GID the image's non-root user has (app/Dockerfile); the pod enforces it.
RUN_AS_ID = 10001
# Time for the endpoint removal to reach kube-proxy and the gateway's Envoy before the app sees SIGTERM:
# without it, a stopping pod still receives new requests for a moment and answers them with connection errors.
PRE_STOP_SLEEP_SECONDS = 5
# After SIGTERM the app stops accepting and finishes in-flight generations, each bounded by the LLM timeout.
SHUTDOWN_MARGIN_SECONDS = 10
TMP_SIZE_LIMIT = "64Mi"

# CoreDNS carries this label on K3s and on AKS.
DNS_POD_SELECTOR = {"k8s-app": "kube-dns"}
# Cloud LLM egress: HTTPS to any public IPv4 address. Private, CGNAT and link-local ranges are excluded, so that
# the rule never opens the way to in-cluster pods, nodes or the cloud's instance metadata endpoint.
NON_PUBLIC_IPV4 = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16")


@dataclass(frozen=True, kw_only=True)
class GeneratorArgs:
    config: GeneratorConfig
    environment: Environment
    """prod requires a track's pods to spread evenly over nodes (skew 1: two replicas never share a node);
    dev only prefers it (single-node K3s)."""
    registry_server: pulumi.Input[str]
    """Login server of the platform registry; the image is `<server>/prompt2prod-generator` unless
    `generator.imageRepository` is set."""
    secret_store: SecretStore
    image_pull_secret: str | None = None
    """Name of a `kubernetes.io/dockerconfigjson` Secret in the namespace (a private external registry)."""
    cloud_llm_api_key: pulumi.Input[str] | None = None
    """The `cloudLlmApiKey` secret (a secret Output). None: cloud mode disabled."""
    canary_image_tag: str | None = None
    """`gateway.canary.imageTag` when the canary is enabled: adds the `generator-canary` track."""
    namespace_ready: Sequence[pulumi.Resource] = ()
    """What creates the `generator` namespace; every object waits for it."""
    backend_ready: Sequence[pulumi.Resource] = ()
    """What serves the local model (Ollama and its model preload). Pods are ready only once the model answers and
    `pulumi up` waits for ready pods, so the Deployments wait for it rather than time out during a model pull."""
    crds_ready: Sequence[pulumi.Resource] = ()
    """What installs the prometheus-operator CRDs; the ServiceMonitor waits for it."""


def object_name(track: Track) -> str:
    """Name of a track's Deployment, Service, HPA and PDB (the Service names are what the gateway routes to)."""
    return topology.GENERATOR_SERVICE if track == "stable" else topology.GENERATOR_CANARY_SERVICE


def selector(track: Track) -> dict[str, str]:
    return {"app.kubernetes.io/name": APP, TRACK_LABEL: track}


def object_labels(track: Track | None = None) -> dict[str, str]:
    base = topology.labels(APP, COMPONENT)
    return base if track is None else {**base, TRACK_LABEL: track}


def image_reference(repository: str, tag: str, digest: str | None) -> str:
    """`repo@sha256:…` when pinned by digest (immutable), else `repo:tag`."""
    return f"{repository}@{digest}" if digest else f"{repository}:{tag}"


def termination_grace_seconds(llm_timeout_seconds: float) -> int:
    """Long enough for the endpoint to drain and the slowest in-flight generation to finish after SIGTERM."""
    return PRE_STOP_SLEEP_SECONDS + math.ceil(llm_timeout_seconds) + SHUTDOWN_MARGIN_SECONDS


def generator_env(config: GeneratorConfig, api_key_file: str | None) -> list[k8s.core.v1.EnvVarArgs]:
    """The app's settings (DESIGN 4.3). The cloud key is only ever a file path, never a value."""
    values = {
        "OLLAMA_BASE_URL": topology.service_url(topology.OLLAMA_SERVICE, topology.NAMESPACE_LLM, topology.OLLAMA_PORT),
        "GENERATOR_MODEL": config.model,
        "CLOUD_LLM_BASE_URL": str(config.cloud.base_url),
        "CLOUD_LLM_MODEL": config.cloud.model,
        "MAX_CONCURRENT_GENERATIONS": str(config.max_concurrent_generations),
        "LLM_TIMEOUT_SECONDS": f"{config.llm_timeout_seconds:g}",
        "MAX_PROMPT_CHARS": str(config.max_prompt_chars),
    }
    if api_key_file is not None:
        values["CLOUD_LLM_API_KEY_FILE"] = api_key_file
    return [k8s.core.v1.EnvVarArgs(name=key, value=value) for key, value in values.items()]


def _http_probe(path: str, *, period: int, timeout: int, failures: int) -> k8s.core.v1.ProbeArgs:
    return k8s.core.v1.ProbeArgs(
        http_get=k8s.core.v1.HTTPGetActionArgs(path=path, port=PORT_NAME),
        period_seconds=period,
        timeout_seconds=timeout,
        failure_threshold=failures,
    )


def generator_container(
    config: GeneratorConfig, *, image: pulumi.Input[str], pinned: bool, secrets: SecretMount | None
) -> k8s.core.v1.ContainerArgs:
    mounts = [k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp")]  # noqa: S108 - the pod's own emptyDir
    if secrets is not None:
        mounts.append(secrets.volume_mount)
    resources = config.resources
    return k8s.core.v1.ContainerArgs(
        name=CONTAINER,
        image=image,
        # A digest never changes what it points to; a tag can be pushed again, so the node asks the registry.
        image_pull_policy="IfNotPresent" if pinned else "Always",
        ports=[k8s.core.v1.ContainerPortArgs(name=PORT_NAME, container_port=topology.GENERATOR_PORT, protocol="TCP")],
        env=generator_env(config, secrets.path(API_KEY_FILE) if secrets is not None else None),
        resources=k8s.core.v1.ResourceRequirementsArgs(
            requests={"cpu": resources.cpu_request, "memory": resources.memory_request},
            limits={"cpu": resources.cpu_limit, "memory": resources.memory_limit},
        ),
        # /health needs no backend, so it alone decides "started" and "alive"; /ready also needs Ollama and the
        # model, so an Ollama outage takes pods out of the Service instead of restarting them.
        startup_probe=_http_probe("/health", period=2, timeout=2, failures=30),
        liveness_probe=_http_probe("/health", period=10, timeout=3, failures=3),
        readiness_probe=_http_probe("/ready", period=5, timeout=3, failures=2),
        lifecycle=k8s.core.v1.LifecycleArgs(
            pre_stop=k8s.core.v1.LifecycleHandlerArgs(
                sleep=k8s.core.v1.SleepActionArgs(seconds=PRE_STOP_SLEEP_SECONDS)
            ),
        ),
        security_context=k8s.core.v1.SecurityContextArgs(
            run_as_non_root=True,
            run_as_user=RUN_AS_ID,
            run_as_group=RUN_AS_ID,
            read_only_root_filesystem=True,
            allow_privilege_escalation=False,
            privileged=False,
            capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
            seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
        ),
        volume_mounts=mounts,
    )


def topology_spread(track: Track, environment: Environment) -> list[k8s.core.v1.TopologySpreadConstraintArgs]:
    """Spread a track's pods over nodes and zones. Counted per ReplicaSet (`pod-template-hash`), so that a
    rolling update's surge pod is not held back by the old pods it replaces."""
    on_nodes = "DoNotSchedule" if environment == "prod" else "ScheduleAnyway"
    return [
        k8s.core.v1.TopologySpreadConstraintArgs(
            topology_key=key,
            max_skew=1,
            # Zones: preferred everywhere, since a pool may live in one zone only.
            when_unsatisfiable=on_nodes if key == "kubernetes.io/hostname" else "ScheduleAnyway",
            label_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector(track)),
            match_label_keys=["pod-template-hash"],
        )
        for key in ("kubernetes.io/hostname", "topology.kubernetes.io/zone")
    ]


def generator_pod_spec(
    config: GeneratorConfig,
    *,
    track: Track,
    environment: Environment,
    image: pulumi.Input[str],
    pinned: bool,
    secrets: SecretMount | None,
    image_pull_secret: str | None = None,
) -> k8s.core.v1.PodSpecArgs:
    volumes = [
        k8s.core.v1.VolumeArgs(name="tmp", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit=TMP_SIZE_LIMIT))
    ]
    if secrets is not None:
        volumes.append(secrets.volume)
    return k8s.core.v1.PodSpecArgs(
        image_pull_secrets=[k8s.core.v1.LocalObjectReferenceArgs(name=image_pull_secret)]
        if image_pull_secret
        else None,
        service_account_name=SERVICE_ACCOUNT,
        automount_service_account_token=False,
        # Service links would inject e.g. GENERATOR_PORT=tcp://… for the `generator` Service, which collides with
        # the app's own GENERATOR_* settings.
        enable_service_links=False,
        security_context=k8s.core.v1.PodSecurityContextArgs(
            run_as_non_root=True,
            run_as_user=RUN_AS_ID,
            run_as_group=RUN_AS_ID,
            # Secret files are mounted 0440: group ownership is what lets the app read them.
            fs_group=RUN_AS_ID,
            seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
        ),
        termination_grace_period_seconds=termination_grace_seconds(config.llm_timeout_seconds),
        topology_spread_constraints=topology_spread(track, environment),
        containers=[generator_container(config, image=image, pinned=pinned, secrets=secrets)],
        volumes=volumes,
    )


def deployment_annotations(pinned: bool) -> dict[str, str]:
    if pinned:
        return {}
    return {
        "checkov.io/skip1": "CKV_K8S_43=pinned by a validated tag (never latest) and pulled Always; "
        "set generator.imageDigest, as CI does, to pin the digest",
    }


def hpa_spec(track: Track, config: GeneratorConfig) -> k8s.autoscaling.v2.HorizontalPodAutoscalerSpecArgsDict:
    return {
        "scale_target_ref": {"api_version": "apps/v1", "kind": "Deployment", "name": object_name(track)},
        "min_replicas": config.replicas,
        "max_replicas": config.max_replicas,
        "metrics": [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "average_utilization": config.target_cpu_utilization},
                },
            }
        ],
    }


def pdb_spec(track: Track, replicas: int) -> k8s.policy.v1.PodDisruptionBudgetSpecArgsDict | None:
    """Keep one pod up during voluntary disruptions (node drains, upgrades) — from 2 replicas on.

    With a single replica, `minAvailable: 1` would make every drain hang until someone deletes the pod by hand,
    and anything looser protects nothing: no budget is the honest setting (dev).
    """
    if replicas < 2:
        return None
    return {"min_available": 1, "selector": {"match_labels": selector(track)}}


def network_policy_spec(*, cloud_egress: bool) -> k8s.networking.v1.NetworkPolicySpecArgsDict:
    """Ingress from the gateway namespace (kgateway runs the Envoy proxies next to the Gateway) and Prometheus;
    egress to Ollama, cluster DNS and, only in cloud mode, HTTPS to public addresses (IPv4)."""

    def namespace(name: str) -> k8s.meta.v1.LabelSelectorArgsDict:
        return {"match_labels": {"kubernetes.io/metadata.name": name}}

    http: list[k8s.networking.v1.NetworkPolicyPortArgsDict] = [{"port": topology.GENERATOR_PORT, "protocol": "TCP"}]
    egress: list[k8s.networking.v1.NetworkPolicyEgressRuleArgsDict] = [
        {
            "to": [{"namespace_selector": namespace(topology.NAMESPACE_LLM)}],
            "ports": [{"port": topology.OLLAMA_PORT, "protocol": "TCP"}],
        },
        {
            "to": [
                {"namespace_selector": namespace("kube-system"), "pod_selector": {"match_labels": DNS_POD_SELECTOR}}
            ],
            "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
        },
    ]
    if cloud_egress:
        egress.append(
            {
                "to": [{"ip_block": {"cidr": "0.0.0.0/0", "except_": list(NON_PUBLIC_IPV4)}}],
                "ports": [{"port": 443, "protocol": "TCP"}],
            }
        )
    return {
        "pod_selector": {"match_labels": {"app.kubernetes.io/name": APP}},
        "policy_types": ["Ingress", "Egress"],
        "ingress": [
            {"from_": [{"namespace_selector": namespace(topology.NAMESPACE_GATEWAY)}], "ports": http},
            {
                "from_": [
                    {
                        "namespace_selector": namespace(topology.NAMESPACE_MONITORING),
                        "pod_selector": {"match_labels": dict(topology.PROMETHEUS_POD_SELECTOR)},
                    }
                ],
                "ports": http,
            },
        ],
        "egress": egress,
    }


def service_monitor_spec() -> dict[str, Any]:
    """Scrape `/metrics` on every generator Service (both tracks) as one job, `job="generator"` (from the Services'
    `app.kubernetes.io/name`); the track becomes a `prompt2prod_io_track` label so that dashboards can compare the
    canary with the stable version. Interval: Prometheus' global one."""
    return {
        "selector": {"matchLabels": {"app.kubernetes.io/name": APP, "app.kubernetes.io/part-of": topology.PART_OF}},
        "namespaceSelector": {"matchNames": [topology.NAMESPACE_GENERATOR]},
        "jobLabel": "app.kubernetes.io/name",
        "targetLabels": [TRACK_LABEL],
        "endpoints": [{"port": PORT_NAME, "path": "/metrics"}],
    }


class Generator(pulumi.ComponentResource):
    image: pulumi.Output[str]
    """The full image reference the stable track runs (`repo:tag` or `repo@sha256:…`)."""
    cloud_mode: bool
    """Whether the cloud LLM key is mounted (otherwise the app answers 503 for `x-llm-mode: cloud`)."""

    def __init__(self, name: str, args: GeneratorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("prompt2prod:index:Generator", name, None, opts)
        config = args.config
        ns = topology.NAMESPACE_GENERATOR
        child = pulumi.ResourceOptions(parent=self, depends_on=list(args.namespace_ready))

        secrets: SecretMount | None = None
        if args.cloud_llm_api_key is not None:
            secrets = args.secret_store.workload_secrets(
                name,
                WorkloadSecretsArgs(
                    namespace=ns, service_account=SERVICE_ACCOUNT, secrets={API_KEY_FILE: args.cloud_llm_api_key}
                ),
                opts=child,
            )
        self.cloud_mode = secrets is not None

        service_account = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=SERVICE_ACCOUNT,
                namespace=ns,
                labels=object_labels(),
                annotations=dict(secrets.service_account_annotations) if secrets else None,
            ),
            automount_service_account_token=False,
            opts=child,
        )

        repository: pulumi.Output[str] = (
            pulumi.Output.from_input(config.image_repository)
            if config.image_repository is not None
            else pulumi.Output.concat(args.registry_server, "/", IMAGE_NAME)
        )
        self.image = repository.apply(lambda repo: image_reference(repo, config.image_tag, config.image_digest))
        # Pods start once their service account and secret files exist (else they fail and back off) and the
        # local model is served (else they never become ready).
        workload = pulumi.ResourceOptions(
            parent=self,
            depends_on=[
                *args.namespace_ready,
                *args.backend_ready,
                service_account,
                *(secrets.resources if secrets else []),
            ],
        )
        pinned = config.image_digest is not None
        self._track(
            name, "stable", args, image=self.image, pinned=pinned, secrets=secrets, child=child, workload=workload
        )
        if args.canary_image_tag is not None:
            canary_image = repository.apply(lambda repo: image_reference(repo, str(args.canary_image_tag), None))
            self._track(
                f"{name}-canary",
                "canary",
                args,
                image=canary_image,
                pinned=False,
                secrets=secrets,
                child=child,
                workload=workload,
            )

        k8s.networking.v1.NetworkPolicy(
            f"{name}-netpol",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=APP, namespace=ns, labels=object_labels()),
            spec=network_policy_spec(cloud_egress=self.cloud_mode),
            opts=child,
        )
        k8s.apiextensions.CustomResource(
            f"{name}-servicemonitor",
            api_version="monitoring.coreos.com/v1",
            kind="ServiceMonitor",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=APP, namespace=ns, labels={**object_labels(), **topology.MONITORING_SELECTOR_LABEL}
            ),
            spec=service_monitor_spec(),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*args.namespace_ready, *args.crds_ready]),
        )
        self.register_outputs({"image": self.image, "cloud_mode": self.cloud_mode})

    def _track(
        self,
        name: str,
        track: Track,
        args: GeneratorArgs,
        *,
        image: pulumi.Output[str],
        pinned: bool,
        secrets: SecretMount | None,
        child: pulumi.ResourceOptions,
        workload: pulumi.ResourceOptions,
    ) -> None:
        """One version of the service: Deployment, Service, HPA and (from 2 replicas) PDB."""
        config, ns, object_name_ = args.config, topology.NAMESPACE_GENERATOR, object_name(track)
        pod_labels: Mapping[str, str] = {**object_labels(track), **(secrets.pod_labels if secrets else {})}
        k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=object_name_,
                namespace=ns,
                labels=object_labels(track),
                annotations=deployment_annotations(pinned) or None,
            ),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                # No `replicas`: the HPA owns the count (min = generator.replicas). Declaring it here too would make
                # every `pulumi up` reset a scaled-out Deployment to the floor.
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector(track)),
                revision_history_limit=5,
                strategy=k8s.apps.v1.DeploymentStrategyArgs(
                    type="RollingUpdate",
                    rolling_update=k8s.apps.v1.RollingUpdateDeploymentArgs(max_unavailable=0, max_surge=1),
                ),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=dict(pod_labels)),
                    spec=generator_pod_spec(
                        config,
                        track=track,
                        environment=args.environment,
                        image=image,
                        pinned=pinned,
                        secrets=secrets,
                        image_pull_secret=args.image_pull_secret,
                    ),
                ),
            ),
            opts=workload,
        )
        k8s.core.v1.Service(
            f"{name}-service",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=object_name_, namespace=ns, labels=object_labels(track)),
            spec=k8s.core.v1.ServiceSpecArgs(
                type="ClusterIP",
                selector=selector(track),
                ports=[
                    k8s.core.v1.ServicePortArgs(
                        name=PORT_NAME,
                        port=topology.GENERATOR_PORT,
                        target_port=PORT_NAME,
                        protocol="TCP",
                        app_protocol="http",
                    )
                ],
            ),
            opts=child,
        )
        k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{name}-hpa",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=object_name_, namespace=ns, labels=object_labels(track)),
            spec=hpa_spec(track, config),
            opts=child,
        )
        budget = pdb_spec(track, config.replicas)
        if budget is not None:
            k8s.policy.v1.PodDisruptionBudget(
                f"{name}-pdb",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=object_name_, namespace=ns, labels=object_labels(track)),
                spec=budget,
                opts=child,
            )
