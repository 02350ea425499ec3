"""The generator's Kubernetes component: what runs, how it is reached, what it may reach, how it gets its key.

Guards the promises operators rely on: the cloud API key reaches the pod only as a file (never an env var, never
in the render), the NetworkPolicy admits only the gateway and Prometheus and lets out only Ollama, DNS and (in
cloud mode) public HTTPS, the HPA owns the replica count, a canary is a full second track behind its own Service,
the ServiceMonitor waits for the prometheus-operator CRDs, and every variant passes the render gates.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import kubernetes_validate
import pulumi
import pulumi_kubernetes as k8s
import pytest
import yaml

from infra.config import StackConfig
from infra.config.generator import GeneratorConfig
from infra.generator.generator import Generator, GeneratorArgs
from infra.generator.specs import (
    API_KEY_FILE,
    Hosting,
    deployment_annotations,
    generator_container,
    generator_env,
    hpa_spec,
    image_reference,
    network_policy_spec,
    pdb_spec,
    topology_spread,
)
from infra.pod_spec import NON_PUBLIC_IPV4
from infra.render import RecordedResource, RenderResult, write_render
from infra.secrets.store import KubernetesSecretStore, SecretMount, WorkloadSecretsArgs
from tests.support import KUBERNETES_VERSION, RenderStack, run_checkov, stack_config
from tests.support.render import render_component

DIGEST = "sha256:" + "0123456789abcdef" * 4
API_KEY = "GENERATOR-TEST-cloud-key-9f3a"
CANARY = {"gateway": {"canary": {"enabled": True, "imageTag": "0.2.0"}}}
HOSTING = Hosting(apps_domain="apps.example.com", registry_server="registry.example.com")


# --- pure spec builders -------------------------------------------------------------------------------------------


def test_image_reference_uses_the_tag_unless_a_digest_pins_it() -> None:
    assert image_reference("registry.local/app", "1.2.3", None) == "registry.local/app:1.2.3"
    assert image_reference("registry.local/app", "1.2.3", DIGEST) == f"registry.local/app@{DIGEST}"


def test_env_is_the_app_contract_and_carries_the_key_only_as_a_path() -> None:
    config = GeneratorConfig(model="qwen2.5:7b", llm_timeout_seconds=90.5, max_prompt_chars=4000)
    env = {var["name"]: var["value"] for var in generator_env(config, "/keys/cloud-llm-api-key", hosting=HOSTING)}
    assert env == {
        "OLLAMA_BASE_URL": "http://ollama.llm.svc.cluster.local:11434",
        "GENERATOR_MODEL": "qwen2.5:7b",
        "CLOUD_LLM_BASE_URL": "https://openrouter.ai/api/v1",
        "CLOUD_LLM_MODEL": "openai/gpt-4o-mini",
        "MAX_CONCURRENT_GENERATIONS": "8",
        "REQUEST_TIMEOUT_SECONDS": "240",
        "LLM_TIMEOUT_SECONDS": "90.5",
        "MAX_PROMPT_CHARS": "4000",
        "CLOUD_BUDGET_REQUESTS_PER_HOUR": "33.333",
        "APPS_DOMAIN": "apps.example.com",
        "APPS_SCHEME": "https",
        "APPS_NAMESPACE": "apps",
        "REGISTRY_SERVER": "registry.example.com",
        "GATEWAY_NAME": "public",
        "GATEWAY_NAMESPACE": "gateway",
        "PUBLISH_OWNERS": "[]",
        "PUBLISH_CLIENTS": "[]",
        "CLOUD_LLM_API_KEY_FILE": "/keys/cloud-llm-api-key",
    }


def test_env_without_a_key_leaves_cloud_mode_off() -> None:
    names = {var["name"] for var in generator_env(GeneratorConfig(), None, hosting=HOSTING)}
    assert "CLOUD_LLM_API_KEY_FILE" not in names
    assert "CLOUD_LLM_API_KEY" not in names


def test_container_is_hardened_and_probed() -> None:
    container: Any = generator_container(
        GeneratorConfig(), image="r/app:1", pinned=False, secrets=None, hosting=HOSTING
    )
    security = container["security_context"]
    assert (security["run_as_non_root"], security["run_as_user"], security["read_only_root_filesystem"]) == (
        True,
        10001,
        True,
    )
    assert security["allow_privilege_escalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert security["seccomp_profile"]["type"] == "RuntimeDefault"
    assert container["liveness_probe"]["http_get"]["path"] == "/health"
    assert container["startup_probe"]["http_get"]["path"] == "/health"
    assert container["readiness_probe"]["http_get"]["path"] == "/ready"
    assert container["lifecycle"]["pre_stop"]["sleep"]["seconds"] == 5
    assert [(port["name"], port["container_port"]) for port in container["ports"]] == [("http", 8000)]
    assert [mount["mount_path"] for mount in container["volume_mounts"]] == ["/tmp"]


def test_a_tag_is_pulled_always_and_a_digest_only_if_absent() -> None:
    assert generator_container(GeneratorConfig(), image="r:1", pinned=False, secrets=None, hosting=HOSTING)[
        "image_pull_policy"
    ] == ("Always")
    assert generator_container(GeneratorConfig(), image="r@x", pinned=True, secrets=None, hosting=HOSTING)[
        "image_pull_policy"
    ] == ("IfNotPresent")


def test_the_secret_mount_is_added_read_only() -> None:
    mount = SecretMount(volume={"name": "keys"}, mount_path="/keys")
    container: Any = generator_container(GeneratorConfig(), image="r:1", pinned=False, secrets=mount, hosting=HOSTING)
    assert [(m["mount_path"], m.get("read_only")) for m in container["volume_mounts"]] == [
        ("/tmp", None),
        ("/keys", True),
    ]


@pytest.mark.parametrize(("strict", "on_nodes"), [(False, "ScheduleAnyway"), (True, "DoNotSchedule")])
def test_pods_spread_over_nodes_strictly_only_when_asked(strict: bool, on_nodes: str) -> None:
    spread: dict[Any, Any] = {c["topology_key"]: c for c in topology_spread("stable", strict=strict)}
    assert spread["kubernetes.io/hostname"]["when_unsatisfiable"] == on_nodes
    assert spread["topology.kubernetes.io/zone"]["when_unsatisfiable"] == "ScheduleAnyway"
    assert all(c["match_label_keys"] == ["pod-template-hash"] for c in spread.values())


def test_no_disruption_budget_for_a_single_replica() -> None:
    assert pdb_spec("stable", 1) is None
    assert pdb_spec("stable", 2) == {
        "min_available": 1,
        "selector": {"match_labels": {"app.kubernetes.io/name": "generator", "prompt2prod.io/track": "stable"}},
    }


def test_hpa_scales_between_replicas_and_max_replicas_on_cpu() -> None:
    spec = hpa_spec("canary", GeneratorConfig(replicas=2, max_replicas=5, target_cpu_utilization=60))
    assert spec["scale_target_ref"] == {"api_version": "apps/v1", "kind": "Deployment", "name": "generator-canary"}
    assert (spec["min_replicas"], spec["max_replicas"]) == (2, 5)
    assert spec["metrics"][0]["resource"]["target"] == {"type": "Utilization", "average_utilization": 60}


def test_digest_pinning_removes_the_only_checkov_skip() -> None:
    assert "CKV_K8S_43=" in deployment_annotations(pinned=False)["checkov.io/skip1"]
    assert deployment_annotations(pinned=True) == {}


def test_network_policy_admits_only_the_gateway_and_prometheus() -> None:
    ingress = network_policy_spec(cloud_egress=False)["ingress"]
    peers = [rule["from_"] for rule in ingress]
    assert peers == [
        [{"namespace_selector": {"match_labels": {"kubernetes.io/metadata.name": "gateway"}}}],
        [
            {
                "namespace_selector": {"match_labels": {"kubernetes.io/metadata.name": "monitoring"}},
                "pod_selector": {"match_labels": {"app.kubernetes.io/name": "prometheus"}},
            }
        ],
    ]
    assert all(rule["ports"] == [{"port": 8000, "protocol": "TCP"}] for rule in ingress)


def test_network_policy_egress_is_ollama_and_dns_without_cloud_mode() -> None:
    egress = network_policy_spec(cloud_egress=False)["egress"]
    assert [rule["ports"] for rule in egress] == [
        [{"port": 11434, "protocol": "TCP"}],
        [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
    ]
    assert egress[0]["to"] == [{"namespace_selector": {"match_labels": {"kubernetes.io/metadata.name": "llm"}}}]


def test_cloud_mode_adds_https_to_public_addresses_only() -> None:
    egress = network_policy_spec(cloud_egress=True)["egress"]
    assert egress[-1] == {
        "to": [{"ip_block": {"cidr": "0.0.0.0/0", "except_": list(NON_PUBLIC_IPV4)}}],
        "ports": [{"port": 443, "protocol": "TCP"}],
    }
    assert {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"} <= set(NON_PUBLIC_IPV4)


# --- the component in the dev stack ---------------------------------------------------------------------------------


def _generator_objects(result: RenderResult) -> dict[str, RecordedResource]:
    """The Kubernetes objects the Generator component declares (other components put objects in its namespace)."""
    return {
        f"{r.type.rsplit(':', 1)[-1]}/{r.inputs['metadata']['name']}": r
        for r in result.resources
        if r.type.startswith("kubernetes:") and "prompt2prod:index:Generator" in r.urn
    }


def _pod(deployment: RecordedResource) -> dict[str, Any]:
    pod: dict[str, Any] = deployment.inputs["spec"]["template"]["spec"]
    return pod


def test_dev_stack_declares_the_generator_objects(render_stack: RenderStack) -> None:
    objects = _generator_objects(render_stack("dev"))
    assert sorted(objects) == [
        "Deployment/generator",
        "HorizontalPodAutoscaler/generator",
        "NetworkPolicy/generator",
        "Service/generator",
        "ServiceAccount/generator",
        "ServiceMonitor/generator",
    ]


def test_the_service_exposes_http_on_8000_to_the_stable_track(render_stack: RenderStack) -> None:
    service = _generator_objects(render_stack("dev"))["Service/generator"].inputs["spec"]
    assert service["ports"] == [
        {"name": "http", "port": 8000, "targetPort": "http", "protocol": "TCP", "appProtocol": "http"}
    ]
    assert service["selector"] == {"app.kubernetes.io/name": "generator", "prompt2prod.io/track": "stable"}


def test_the_hpa_owns_the_replica_count(render_stack: RenderStack) -> None:
    objects = _generator_objects(render_stack("dev"))
    assert "replicas" not in objects["Deployment/generator"].inputs["spec"]
    hpa = objects["HorizontalPodAutoscaler/generator"].inputs["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (1, 3)
    assert objects["Deployment/generator"].inputs["spec"]["strategy"]["rollingUpdate"] == {
        "maxUnavailable": 0,
        "maxSurge": 1,
    }


def test_image_comes_from_the_registry_andstack_config(render_stack: RenderStack) -> None:
    result = render_stack("dev")
    image = _pod(_generator_objects(result)["Deployment/generator"])["containers"][0]["image"]
    assert image == "localhost:30500/prompt2prod-generator:0.1.0"
    assert result.outputs["generatorImage"] == image


def test_an_image_digest_pins_the_image(render_stack: RenderStack) -> None:
    result = render_stack("dev", {"generator": {"imageDigest": DIGEST, "imageRepository": "ghcr.io/acme/gen"}})
    deployment = _generator_objects(result)["Deployment/generator"]
    container = _pod(deployment)["containers"][0]
    assert container["image"] == f"ghcr.io/acme/gen@{DIGEST}"
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert "annotations" not in deployment.inputs["metadata"]
    assert result.outputs["generatorImage"] == f"ghcr.io/acme/gen@{DIGEST}"


def test_service_account_mounts_no_token(render_stack: RenderStack) -> None:
    objects = _generator_objects(render_stack("dev"))
    assert objects["ServiceAccount/generator"].inputs["automountServiceAccountToken"] is False
    pod = _pod(objects["Deployment/generator"])
    assert (pod["serviceAccountName"], pod["automountServiceAccountToken"]) == ("generator", False)


def test_pod_waits_for_namespace_and_service_account(render_stack: RenderStack) -> None:
    result = render_stack("dev")
    deployment = _generator_objects(result)["Deployment/generator"]
    assert result.named("platform-generator").urn in deployment.depends_on
    assert result.named("generator-sa").urn in deployment.depends_on


def test_without_the_key_there_is_no_secret_and_no_internet_egress(render_stack: RenderStack) -> None:
    objects = _generator_objects(render_stack("dev"))
    assert not [key for key in objects if key.startswith("Secret/")]
    egress = objects["NetworkPolicy/generator"].inputs["spec"]["egress"]
    assert all("ipBlock" not in peer for rule in egress for peer in rule["to"])


def test_the_cloud_key_reaches_the_pod_as_a_file_only(render_stack: RenderStack, tmp_path: Path) -> None:
    result = render_stack("dev", secrets={"cloudLlmApiKey": API_KEY})
    objects = _generator_objects(result)
    secret = objects["Secret/generator-secrets"]
    assert "[secret]" in json.dumps(secret.inputs["stringData"])
    pod = _pod(objects["Deployment/generator"])
    container = pod["containers"][0]
    env = {var["name"]: var for var in container["env"]}
    assert env["CLOUD_LLM_API_KEY_FILE"]["value"] == f"/var/run/secrets/prompt2prod/{API_KEY_FILE}"
    assert "CLOUD_LLM_API_KEY" not in env
    assert all("valueFrom" not in var for var in container["env"])
    assert {"name": "generator-secrets", "mountPath": "/var/run/secrets/prompt2prod", "readOnly": True} in container[
        "volumeMounts"
    ]
    assert {"name": "generator-secrets", "secret": {"secretName": "generator-secrets", "defaultMode": 0o440}} in pod[
        "volumes"
    ]
    assert pod["securityContext"]["fsGroup"] == 10001  # makes the 0440 files readable by the app's group
    assert secret.urn in objects["Deployment/generator"].depends_on
    write_render(result, tmp_path / "render")
    assert not [p for p in (tmp_path / "render").rglob("*") if p.is_file() and API_KEY in p.read_text()]


def test_cloud_mode_opens_https_egress(render_stack: RenderStack) -> None:
    objects = _generator_objects(render_stack("dev", secrets={"cloudLlmApiKey": API_KEY}))
    egress = objects["NetworkPolicy/generator"].inputs["spec"]["egress"]
    assert egress[-1]["ports"] == [{"port": 443, "protocol": "TCP"}]
    assert egress[-1]["to"][0]["ipBlock"]["cidr"] == "0.0.0.0/0"


def test_the_canary_is_a_second_track_with_its_own_service(render_stack: RenderStack) -> None:
    objects = _generator_objects(render_stack("dev", CANARY, secrets={"cloudLlmApiKey": API_KEY}))
    stable, canary = objects["Deployment/generator"], objects["Deployment/generator-canary"]
    assert _pod(canary)["containers"][0]["image"] == "localhost:30500/prompt2prod-generator:0.2.0"
    assert objects["Service/generator-canary"].inputs["spec"]["selector"]["prompt2prod.io/track"] == "canary"
    assert canary.inputs["spec"]["selector"]["matchLabels"]["prompt2prod.io/track"] == "canary"
    assert objects["HorizontalPodAutoscaler/generator-canary"].inputs["spec"]["scaleTargetRef"]["name"] == (
        "generator-canary"
    )

    def without_track(pod: dict[str, Any]) -> dict[str, Any]:
        container = {k: v for k, v in pod["containers"][0].items() if k != "image"}
        return {**pod, "containers": [container], "topologySpreadConstraints": None}

    assert without_track(_pod(canary)) == without_track(_pod(stable))


def test_one_service_monitor_scrapes_both_tracks(render_stack: RenderStack) -> None:
    objects = _generator_objects(render_stack("dev", CANARY))
    monitors = [key for key in objects if key.startswith("ServiceMonitor/")]
    assert monitors == ["ServiceMonitor/generator"]
    monitor = objects["ServiceMonitor/generator"].inputs
    assert monitor["metadata"]["labels"]["prompt2prod.io/monitor"] == "true"
    assert monitor["spec"]["endpoints"] == [{"port": "http", "path": "/metrics"}]
    selected = monitor["spec"]["selector"]["matchLabels"].items()
    for service in ("Service/generator", "Service/generator-canary"):
        assert selected <= objects[service].inputs["metadata"]["labels"].items()


# --- the component alone: CRD ordering, prod-like settings, gates on every variant ----------------------------------


class IdentityStore:
    """A secret store that hands out what a workload-identity store does: a CSI volume, an identity annotation on
    the service account and the opt-in pod label. It records what it was asked for."""

    kind = "fake-identity"

    def __init__(self) -> None:
        self.requests: list[WorkloadSecretsArgs] = []

    def workload_secrets(
        self, name: str, args: WorkloadSecretsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> SecretMount:
        self.requests.append(args)
        return SecretMount(
            volume={
                "name": f"{name}-secrets",
                "csi": {
                    "driver": "secrets-store.csi.k8s.io",
                    "read_only": True,
                    "volume_attributes": {"secretProviderClass": name},
                },
            },
            mount_path=args.mount_path,
            service_account_annotations={"azure.workload.identity/client-id": "00000000-0000-0000-0000-000000000001"},
            pod_labels={"azure.workload.identity/use": "true"},
        )


def _render_alone(
    config: StackConfig,
    *,
    store: Any = None,
    api_key: bool = True,
    with_dependencies: bool = False,
) -> RenderResult:
    platform = config.platform

    def build(opts: pulumi.ResourceOptions) -> dict[str, Any]:
        crds: Sequence[pulumi.Resource] = ()
        backend: Sequence[pulumi.Resource] = ()
        if with_dependencies:
            backend = [
                k8s.core.v1.Service(
                    "ollama",
                    metadata={"name": "ollama", "namespace": "llm"},
                    spec={"ports": [{"port": 11434}]},
                    opts=opts,
                )
            ]
            crds = [
                k8s.apiextensions.v1.CustomResourceDefinition(
                    "servicemonitors",
                    metadata={"name": "servicemonitors.monitoring.coreos.com"},
                    spec={
                        "group": "monitoring.coreos.com",
                        "names": {"kind": "ServiceMonitor", "plural": "servicemonitors"},
                        "scope": "Namespaced",
                        "versions": [{"name": "v1", "served": True, "storage": True}],
                    },
                    opts=opts,
                )
            ]
        generator = Generator(
            "generator",
            GeneratorArgs(
                config=platform.generator,
                strict_spread=platform.environment == "prod",
                registry_server="prompt2prodacr.azurecr.io",
                secret_store=store or KubernetesSecretStore(),
                cloud_llm_api_key=pulumi.Output.secret(API_KEY) if api_key else None,
                apps_domain=platform.apps_domain,
                canary_image_tag=platform.gateway.canary.image_tag if platform.gateway.canary.enabled else None,
                crds_ready=crds,
                backend_ready=backend,
            ),
            opts=opts,
        )
        return {"image": generator.image}

    return render_component(build, stack=platform.environment)


def test_the_service_monitor_waits_for_the_prometheus_operator_crds() -> None:
    result = _render_alone(stack_config("prod"), with_dependencies=True)
    assert result.named("servicemonitors").urn in result.named("generator-servicemonitor").depends_on


def test_both_tracks_wait_for_the_local_model_backend() -> None:
    result = _render_alone(stack_config("prod", CANARY), with_dependencies=True)
    for deployment in ("generator-deployment", "generator-canary-deployment"):
        assert result.named("ollama").urn in result.named(deployment).depends_on


def test_prod_runs_two_replicas_behind_a_budget_spread_over_nodes() -> None:
    objects = _generator_objects(_render_alone(stack_config("prod", CANARY)))
    for name in ("generator", "generator-canary"):
        assert objects[f"HorizontalPodAutoscaler/{name}"].inputs["spec"]["minReplicas"] == 2
        assert objects[f"PodDisruptionBudget/{name}"].inputs["spec"]["minAvailable"] == 1
        spread = _pod(objects[f"Deployment/{name}"])["topologySpreadConstraints"]
        assert spread[0]["topologyKey"] == "kubernetes.io/hostname"
        assert spread[0]["whenUnsatisfiable"] == "DoNotSchedule"


def test_workload_identity_flows_from_the_secret_store_to_the_pods() -> None:
    store = IdentityStore()
    objects = _generator_objects(_render_alone(stack_config("prod"), store=store))
    assert [(r.namespace, r.service_account) for r in store.requests] == [("generator", "generator")]
    assert store.requests[0].secrets.keys() == {API_KEY_FILE}
    account = objects["ServiceAccount/generator"].inputs["metadata"]
    assert account["annotations"] == {"azure.workload.identity/client-id": "00000000-0000-0000-0000-000000000001"}
    pod = objects["Deployment/generator"].inputs["spec"]["template"]
    assert pod["metadata"]["labels"]["azure.workload.identity/use"] == "true"
    assert pod["spec"]["volumes"][-1]["csi"]["driver"] == "secrets-store.csi.k8s.io"


def test_without_the_key_the_store_is_not_asked() -> None:
    store = IdentityStore()
    objects = _generator_objects(_render_alone(stack_config("prod"), store=store, api_key=False))
    assert store.requests == []
    assert "annotations" not in objects["ServiceAccount/generator"].inputs["metadata"]


# name -> (render, generator objects, checks skipped by annotation)
VARIANTS: dict[str, tuple[Callable[[], RenderResult], int, set[tuple[str, str]]]] = {
    # SA, NetworkPolicy, ServiceMonitor, 2 tracks x (Deployment, Service, HPA, PDB) and the dev store's Secret.
    # The stable track is pinned by digest; the canary runs a tag.
    "dev-canary-cloud-digest": (
        lambda: _render_alone(stack_config("dev", {**CANARY, "generator": {"replicas": 2, "imageDigest": DIGEST}})),
        12,
        {("CKV_K8S_43", "generator-canary")},
    ),
    # The identity store creates nothing in the namespace; no digest: both tracks carry the tag skip.
    "prod-canary-identity": (
        lambda: _render_alone(stack_config("prod", CANARY), store=IdentityStore()),
        11,
        {("CKV_K8S_43", "generator"), ("CKV_K8S_43", "generator-canary")},
    ),
}


@pytest.fixture(scope="module")
def variant_gates(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """Every variant rendered under one directory and scanned by one checkov run (its start-up dominates)."""
    root = tmp_path_factory.mktemp("generator-variants")
    for variant, (render, _, _) in VARIANTS.items():
        write_render(render(), root / variant)
    return root, [run_checkov(root, "kubernetes")]


@pytest.mark.slow
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_variant_passes_the_render_gates(variant: str, variant_gates: tuple[Path, list[dict[str, Any]]]) -> None:
    root, reports = variant_gates
    _, objects, expected_skips = VARIANTS[variant]
    manifests = sorted((root / variant / "manifests").glob("generator--*.yaml"))
    assert len(manifests) == objects
    for path in manifests:
        document = yaml.safe_load(path.read_text())
        # ServiceMonitor: no schema here (the stack gates validate custom resources).
        if document["kind"] != "ServiceMonitor":
            kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)

    def mine(kind: str) -> list[dict[str, Any]]:
        return [c for r in reports for c in r["results"][kind] if f"/{variant}/manifests/" in c["file_path"]]

    assert [f"{c['check_id']} {c['resource']}" for c in mine("failed_checks")] == []
    assert len(mine("passed_checks")) > 150
    assert {(c["check_id"], c["resource"].split(".")[-1]) for c in mine("skipped_checks")} == expected_skips


@pytest.mark.parametrize(("max_replicas", "tracks", "share"), [(3, 1, "40"), (4, 2, "15"), (1, 1, "120")])
def test_each_pod_enforces_its_share_of_the_cloud_budget(max_replicas: int, tracks: int, share: str) -> None:
    """All pods together (every track at its ceiling) never admit more than a client's hourly budget."""
    config = GeneratorConfig.model_validate({"maxReplicas": max_replicas, "cloud": {"requestsPerHour": 120}})
    env = {var["name"]: var["value"] for var in generator_env(config, None, hosting=HOSTING, tracks=tracks)}
    assert env["CLOUD_BUDGET_REQUESTS_PER_HOUR"] == share
    assert float(share) * max_replicas * tracks == 120


def test_the_canary_halves_each_pods_cloud_budget(render_stack: RenderStack) -> None:
    canary = {"gateway": {"canary": {"enabled": True, "imageTag": "0.2.0"}}}
    for name in ("generator-deployment", "generator-canary-deployment"):
        [container] = render_stack("dev", canary).named(name).inputs["spec"]["template"]["spec"]["containers"]
        env = {var["name"]: var["value"] for var in container["env"]}
        assert env["CLOUD_BUDGET_REQUESTS_PER_HOUR"] == "16.666"
