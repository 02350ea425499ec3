"""`Generator` — the generator service (`app/`) on Kubernetes, in the `generator` namespace.

Creates:
- a ServiceAccount `generator` that mounts no API token (the app never calls the Kubernetes API); in prod it
  carries the workload identity annotations the secret store asks for;
- when the `cloudLlmApiKey` secret is configured, the key as a FILE from the `SecretStore` (`CLOUD_LLM_API_KEY_FILE`);
  without it cloud mode is off: no key file, and the app answers 503 for `x-llm-mode: cloud`;
- when publishing is on (`generator.publishing.owners`), the `githubToken` secret as a file from the same store
  (`GITHUB_TOKEN_FILE`); with neither secret there is no mount and no internet egress at all;
- per track — `stable` always, `canary` when `gateway.canary.enabled` — a Deployment, a Service (`http`, 8000),
  a HorizontalPodAutoscaler on CPU and, from 2 replicas on, a PodDisruptionBudget. The tracks differ only in image
  tag and names (`generator` / `generator-canary`); the gateway splits traffic between the two Services by weight;
- one NetworkPolicy for both tracks: ingress from the gateway's proxies and Prometheus only; egress to Ollama,
  cluster DNS and, in cloud mode or with publishing on, HTTPS to public addresses;
- one ServiceMonitor for both tracks, created after the prometheus-operator CRDs (`crds_ready`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_kubernetes as k8s

from infra import topology
from infra.config.generator import GeneratorConfig
from infra.generator.specs import (
    API_KEY_FILE,
    APP,
    GITHUB_TOKEN_FILE,
    IMAGE_NAME,
    PORT_NAME,
    SERVICE_ACCOUNT,
    Hosting,
    Track,
    deployment_annotations,
    generator_pod_spec,
    hpa_spec,
    image_reference,
    network_policy_spec,
    object_labels,
    object_name,
    pdb_spec,
    selector,
    service_monitor_spec,
)
from infra.secrets.store import SecretMount, SecretStore, WorkloadSecretsArgs


@dataclass(frozen=True, kw_only=True)
class GeneratorArgs:
    config: GeneratorConfig
    strict_spread: bool = False
    """Require a track's pods to spread evenly over nodes (skew 1: two replicas never share a node); otherwise
    spreading is only preferred (a single-node cluster)."""
    registry_server: pulumi.Input[str]
    """Login server of the platform registry; the image is `<server>/prompt2prod-generator` unless
    `generator.imageRepository` is set."""
    secret_store: SecretStore
    image_pull_secret: str | None = None
    """Name of a `kubernetes.io/dockerconfigjson` Secret in the namespace (a private external registry)."""
    cloud_llm_api_key: pulumi.Input[str] | None = None
    """The `cloudLlmApiKey` secret (a secret Output). None: cloud mode disabled."""
    github_token: pulumi.Input[str] | None = None
    """The `githubToken` secret (a secret Output), given exactly when `config.publishing` is on."""
    apps_domain: str
    """Generated projects are served at `<name>.<apps_domain>` (resolved: `PlatformConfig.apps_domain`)."""
    apps_scheme: Literal["http", "https"] = "https"
    """How the gateway serves them: `https` whenever it has TLS (`GatewayConfig.scheme`)."""
    canary_image_tag: str | None = None
    """`gateway.canary.imageTag` when the canary is enabled: adds the `generator-canary` track."""
    namespace_ready: Sequence[pulumi.Resource] = ()
    """What creates the `generator` namespace; every object waits for it."""
    backend_ready: Sequence[pulumi.Resource] = ()
    """What serves the local model (Ollama and its model preload). Pods are ready only once the model answers and
    `pulumi up` waits for ready pods, so the Deployments wait for it rather than time out during a model pull."""
    crds_ready: Sequence[pulumi.Resource] = ()
    """What installs the prometheus-operator CRDs; the ServiceMonitor waits for it."""
    registry_ready: Sequence[pulumi.Resource] = ()
    """What lets nodes pull from the registry (prod: the pull grant, the private endpoint and its DNS records);
    the Deployments wait for it rather than start pods into ImagePullBackOff."""


class Generator(pulumi.ComponentResource):
    image: pulumi.Output[str]
    """The full image reference the stable track runs (`repo:tag` or `repo@sha256:…`)."""
    cloud_mode: bool
    """Whether the cloud LLM key is mounted (otherwise the app answers 503 for `x-llm-mode: cloud`)."""
    publishing: bool
    """Whether the GitHub token is mounted and the generator may reach GitHub."""

    def __init__(self, name: str, args: GeneratorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("prompt2prod:index:Generator", name, None, opts)
        config = args.config
        ns = topology.NAMESPACE_GENERATOR
        child = pulumi.ResourceOptions(parent=self, depends_on=list(args.namespace_ready))

        if config.publishing.enabled != (args.github_token is not None):
            raise ValueError("generator: publishing needs the GitHub token, and the token is only for publishing")
        files: dict[str, pulumi.Input[str]] = {}
        if args.cloud_llm_api_key is not None:
            files[API_KEY_FILE] = args.cloud_llm_api_key
        if args.github_token is not None:
            files[GITHUB_TOKEN_FILE] = args.github_token
        secrets: SecretMount | None = None
        if files:
            secrets = args.secret_store.workload_secrets(
                name,
                WorkloadSecretsArgs(namespace=ns, service_account=SERVICE_ACCOUNT, secrets=files),
                opts=child,
            )
        self.cloud_mode = API_KEY_FILE in files
        self.publishing = GITHUB_TOKEN_FILE in files
        self._secret_files = frozenset(files)

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
                *args.registry_ready,
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
            spec=network_policy_spec(cloud_egress=self.cloud_mode, github_egress=self.publishing),
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
        self.register_outputs({"image": self.image, "cloud_mode": self.cloud_mode, "publishing": self.publishing})

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
            spec={
                # No `replicas`: the HPA owns the count (min = generator.replicas). Declaring it here too would make
                # every `pulumi up` reset a scaled-out Deployment to the floor.
                "selector": {"match_labels": selector(track)},
                "revision_history_limit": 5,
                "strategy": {"type": "RollingUpdate", "rolling_update": {"max_unavailable": 0, "max_surge": 1}},
                "template": {
                    "metadata": {"labels": dict(pod_labels)},
                    "spec": generator_pod_spec(
                        config,
                        track=track,
                        strict_spread=args.strict_spread,
                        image=image,
                        pinned=pinned,
                        secrets=secrets,
                        secret_files=self._secret_files,
                        hosting=Hosting(
                            apps_domain=args.apps_domain,
                            registry_server=args.registry_server,
                            apps_scheme=args.apps_scheme,
                        ),
                        image_pull_secret=args.image_pull_secret,
                        tracks=2 if args.canary_image_tag is not None else 1,
                    ),
                },
            },
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
