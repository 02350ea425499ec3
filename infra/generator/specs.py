"""The generator's Kubernetes specs as pure functions of its config (no resources; `infra.generator.generator`
declares them). Each is tested without mocks."""

from __future__ import annotations

import json
import math
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s

from infra import pod_spec, topology
from infra.config.generator import GeneratorConfig
from infra.contract.budgets import PRE_STOP_SLEEP_SECONDS, GenerationBudget
from infra.secrets.store import SecretMount

Track = Literal["stable", "canary"]

APP = topology.GENERATOR_APP
COMPONENT = "api"
IMAGE_NAME = "prompt2prod-generator"
TRACK_LABEL = "prompt2prod.io/track"
SERVICE_ACCOUNT = "generator"
CONTAINER = "generator"
PORT_NAME = topology.GENERATOR_PORT_NAME
API_KEY_FILE = "cloud-llm-api-key"
GITHUB_TOKEN_FILE = "github-token"  # noqa: S105 - a file name, not a token

# The UID/GID the image's non-root user has (app/Dockerfile); the pod enforces it.
RUN_AS_ID = 10001
# The checks on generated projects (app/checks) write each project (at most 4 MiB) to a folder of its own here, one
# per tool run, for up to `maxConcurrentGenerations` projects at once.
TMP_SIZE_LIMIT = "256Mi"


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


@dataclass(frozen=True, kw_only=True)
class Hosting:
    """What the generator writes into generated projects about the platform that will host them."""

    apps_domain: str
    """A generated project `N` is served at `N.<apps_domain>`."""
    registry_server: pulumi.Input[str]
    """Where a generated project's workflow pushes its image: the platform registry's login server."""
    apps_scheme: str = "https"
    """`http` or `https`: how the gateway's `apps` listener serves them (the URL the generated README gives)."""


def cloud_budget_share(config: GeneratorConfig, tracks: int) -> float:
    """One pod's share of a client's hourly cloud budget: the budget over the most pods that can run (every track
    at `maxReplicas`), so that all pods together never admit more than the budget (rounded down, never up)."""
    return math.floor(config.cloud.requests_per_hour * 1000 / (config.max_replicas * tracks)) / 1000


def generator_env(
    config: GeneratorConfig,
    api_key_file: str | None,
    *,
    hosting: Hosting,
    github_token_file: str | None = None,
    tracks: int = 1,
) -> list[k8s.core.v1.EnvVarArgsDict]:
    """The app's settings (docs/service.md, "Settings"). Secrets (the cloud key, the GitHub token) are only ever file
    paths, never values. `tracks`: how many Deployments (stable, canary) share the cloud budget."""
    publishing = config.publishing
    values: dict[str, pulumi.Input[str]] = {
        "OLLAMA_BASE_URL": topology.service_url(topology.OLLAMA_SERVICE, topology.NAMESPACE_LLM, topology.OLLAMA_PORT),
        "GENERATOR_MODEL": config.model,
        "CLOUD_LLM_BASE_URL": str(config.cloud.base_url),
        "CLOUD_LLM_MODEL": config.cloud.model,
        "MAX_CONCURRENT_GENERATIONS": str(config.max_concurrent_generations),
        # The one deadline the gateway's timeouts and the pod's grace period are derived from (infra.contract).
        "REQUEST_TIMEOUT_SECONDS": f"{config.request_timeout_seconds:g}",
        "LLM_TIMEOUT_SECONDS": f"{config.llm_timeout_seconds:g}",
        "MAX_PROMPT_CHARS": str(config.max_prompt_chars),
        "CLOUD_BUDGET_REQUESTS_PER_HOUR": f"{cloud_budget_share(config, tracks):g}",
        # Where generated projects deploy to: the platform's own names, so that their manifests attach to it.
        "APPS_DOMAIN": hosting.apps_domain,
        "APPS_SCHEME": hosting.apps_scheme,
        "APPS_NAMESPACE": topology.NAMESPACE_APPS,
        "REGISTRY_SERVER": hosting.registry_server,
        "GATEWAY_NAME": topology.GATEWAY_NAME,
        "GATEWAY_NAMESPACE": topology.NAMESPACE_GATEWAY,
        "PUBLISH_OWNERS": json.dumps(publishing.owners),
        "PUBLISH_CLIENTS": json.dumps(publishing.clients),
    }
    if api_key_file is not None:
        values["CLOUD_LLM_API_KEY_FILE"] = api_key_file
    if github_token_file is not None:
        values["GITHUB_TOKEN_FILE"] = github_token_file
    return [{"name": key, "value": value} for key, value in values.items()]


def _http_probe(path: str, *, period: int, timeout: int, failures: int) -> k8s.core.v1.ProbeArgsDict:
    return {
        "http_get": {"path": path, "port": PORT_NAME},
        "period_seconds": period,
        "timeout_seconds": timeout,
        "failure_threshold": failures,
    }


def generator_container(
    config: GeneratorConfig,
    *,
    image: pulumi.Input[str],
    pinned: bool,
    secrets: SecretMount | None,
    secret_files: Collection[str] = (),
    hosting: Hosting,
    tracks: int = 1,
) -> k8s.core.v1.ContainerArgsDict:
    """`secret_files`: the files of `secrets` (`API_KEY_FILE`, `GITHUB_TOKEN_FILE`) the app is told about."""

    def mounted(file_name: str) -> str | None:
        return secrets.path(file_name) if secrets is not None and file_name in secret_files else None

    mounts = [pod_spec.tmp_mount()]
    if secrets is not None:
        mounts.append(secrets.volume_mount())
    return {
        "name": CONTAINER,
        "image": image,
        # A digest never changes what it points to; a tag can be pushed again, so the node asks the registry.
        "image_pull_policy": "IfNotPresent" if pinned else "Always",
        "ports": [{"name": PORT_NAME, "container_port": topology.GENERATOR_PORT, "protocol": "TCP"}],
        "env": generator_env(
            config,
            mounted(API_KEY_FILE),
            hosting=hosting,
            github_token_file=mounted(GITHUB_TOKEN_FILE),
            tracks=tracks,
        ),
        "resources": pod_spec.resource_requirements(config.resources),
        # /health needs no backend, so it alone decides "started" and "alive"; /ready also needs Ollama and the
        # model, so an Ollama outage takes pods out of the Service instead of restarting them.
        "startup_probe": _http_probe("/health", period=2, timeout=2, failures=30),
        "liveness_probe": _http_probe("/health", period=10, timeout=3, failures=3),
        "readiness_probe": _http_probe("/ready", period=5, timeout=3, failures=2),
        # Without the sleep a stopping pod still receives new requests for a moment (the endpoint removal has not
        # reached kube-proxy and Envoy yet) and answers them with connection errors.
        "lifecycle": {"pre_stop": {"sleep": {"seconds": PRE_STOP_SLEEP_SECONDS}}},
        "security_context": pod_spec.container_security_context(RUN_AS_ID, declare_unprivileged=True),
        "volume_mounts": mounts,
    }


def topology_spread(track: Track, *, strict: bool) -> list[k8s.core.v1.TopologySpreadConstraintArgsDict]:
    """Spread a track's pods over nodes and zones. Counted per ReplicaSet (`pod-template-hash`), so that a
    rolling update's surge pod is not held back by the old pods it replaces. `strict`: two pods of a track never
    share a node (skew 1, `DoNotSchedule`); otherwise spreading is only preferred (a single-node cluster)."""
    on_nodes = "DoNotSchedule" if strict else "ScheduleAnyway"
    return [
        {
            "topology_key": key,
            "max_skew": 1,
            # Zones: preferred everywhere, since a pool may live in one zone only.
            "when_unsatisfiable": on_nodes if key == "kubernetes.io/hostname" else "ScheduleAnyway",
            "label_selector": {"match_labels": selector(track)},
            "match_label_keys": ["pod-template-hash"],
        }
        for key in ("kubernetes.io/hostname", "topology.kubernetes.io/zone")
    ]


def generator_pod_spec(
    config: GeneratorConfig,
    *,
    track: Track,
    strict_spread: bool,
    image: pulumi.Input[str],
    pinned: bool,
    secrets: SecretMount | None,
    secret_files: Collection[str] = (),
    hosting: Hosting,
    image_pull_secret: str | None = None,
    tracks: int = 1,
) -> k8s.core.v1.PodSpecArgsDict:
    volumes = [pod_spec.tmp_volume(TMP_SIZE_LIMIT)]
    if secrets is not None:
        volumes.append(secrets.volume)
    spec: k8s.core.v1.PodSpecArgsDict = {
        "service_account_name": SERVICE_ACCOUNT,
        "automount_service_account_token": False,
        # Service links would inject e.g. GENERATOR_PORT=tcp://… for the `generator` Service, which collides with
        # the app's own GENERATOR_* settings.
        "enable_service_links": False,
        # The checks kill a tool's whole process group at its timeout; its orphans are re-parented to PID 1, which
        # must reap them. Shared, PID 1 is the pod's pause process (which does); alone, it would be uvicorn (which
        # does not), and every killed tool would stay a zombie.
        "share_process_namespace": True,
        # Secret files are mounted 0440: group ownership (fsGroup) is what lets the app read them.
        "security_context": pod_spec.pod_security_context(RUN_AS_ID, fs_group=True),
        "termination_grace_period_seconds": GenerationBudget.from_config(config).grace_period_seconds,
        "topology_spread_constraints": topology_spread(track, strict=strict_spread),
        "containers": [
            generator_container(
                config,
                image=image,
                pinned=pinned,
                secrets=secrets,
                secret_files=secret_files,
                hosting=hosting,
                tracks=tracks,
            )
        ],
        "volumes": volumes,
    }
    if image_pull_secret:
        spec["image_pull_secrets"] = [{"name": image_pull_secret}]
    return spec


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


def network_policy_spec(
    *, cloud_egress: bool, github_egress: bool = False
) -> k8s.networking.v1.NetworkPolicySpecArgsDict:
    """Ingress from the gateway namespace (kgateway runs the Envoy proxies next to the Gateway) and Prometheus;
    egress to Ollama, cluster DNS and, only in cloud mode or with publishing on, HTTPS to public addresses (IPv4).

    A NetworkPolicy sees addresses, never names: it cannot tell the cloud provider or api.github.com from any other
    public HTTPS server (GitHub's published ranges change, and CDNs share addresses). So the rule is "HTTPS to public
    addresses, never to the cluster, the nodes' networks or the metadata endpoint"; which hosts the app calls is the
    app's own configuration (`CLOUD_LLM_BASE_URL`, `GITHUB_API_URL`). Without either feature there is no rule at all:
    the generator cannot leave the cluster."""
    http: list[k8s.networking.v1.NetworkPolicyPortArgsDict] = [{"port": topology.GENERATOR_PORT, "protocol": "TCP"}]
    egress: list[k8s.networking.v1.NetworkPolicyEgressRuleArgsDict] = [
        {
            "to": [pod_spec.namespace_peer(topology.NAMESPACE_LLM)],
            "ports": [{"port": topology.OLLAMA_PORT, "protocol": "TCP"}],
        },
        pod_spec.dns_egress_rule(),
    ]
    if cloud_egress or github_egress:
        egress.append(pod_spec.public_https_egress_rule())
    prometheus = pod_spec.namespace_peer(topology.NAMESPACE_MONITORING)
    prometheus["pod_selector"] = {"match_labels": dict(topology.PROMETHEUS_POD_SELECTOR)}
    return {
        "pod_selector": {"match_labels": {"app.kubernetes.io/name": APP}},
        "policy_types": ["Ingress", "Egress"],
        "ingress": [
            {"from_": [pod_spec.namespace_peer(topology.NAMESPACE_GATEWAY)], "ports": http},
            {"from_": [prometheus], "ports": http},
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
        "endpoints": [{"port": PORT_NAME, "path": topology.GENERATOR_METRICS_PATH}],
    }
