"""The `Ollama` component under Pulumi mocks: what `pulumi up` would declare, for dev and for GPU settings.

Guards the promises of the issue: the model volume survives (protected, retained, class and size from config),
the preload Job re-runs only when the model list changes and only after the server is ready, GPU scheduling
appears only when asked for, the NetworkPolicies admit only the generator, the gateway and the preload, and
every pod is hardened. GPU cases build the component alone (`render_component`), since GPU needs AKS.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pulumi
import pytest
import yaml

from infra.config import parse_config
from infra.config.ollama import OllamaConfig
from infra.llm.ollama import Ollama, OllamaArgs
from infra.render import RenderResult, write_render
from tests.support import RenderStack, run_checkov, stack_input
from tests.support.render import render_component

STATEFULSET = "kubernetes:apps/v1:StatefulSet"
JOB = "kubernetes:batch/v1:Job"
PVC = "kubernetes:core/v1:PersistentVolumeClaim"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
GPU_PROD = {"ollama": {"gpu": {"enabled": True, "count": 2}}, "cluster": {"aks": {"gpuPool": {}}}}


def prod_settings(overrides: dict[str, Any]) -> OllamaConfig:
    given = stack_input("prod", overrides)
    return parse_config(given.values, given.secret_keys).platform.ollama


def render_ollama(settings: OllamaConfig, storage_class: str = "managed-csi-premium") -> RenderResult:
    def build(opts: pulumi.ResourceOptions) -> dict[str, Any]:
        ollama = Ollama("ollama", OllamaArgs(config=settings, storage_class=storage_class), opts=opts)
        return {"url": ollama.url, "models": ollama.models}

    return render_component(build, stack="prod")


def ollamas(render: RenderResult, type_token: str) -> list[Any]:
    """Resources of a type that belong to the Ollama component (the stack declares other workloads too)."""
    return [r for r in render.of_type(type_token) if "prompt2prod:index:Ollama" in r.urn]


def only(render: RenderResult, type_token: str) -> dict[str, Any]:
    (resource,) = ollamas(render, type_token)
    return resource.inputs


def pod_spec(render: RenderResult, type_token: str) -> dict[str, Any]:
    spec: dict[str, Any] = only(render, type_token)["spec"]["template"]["spec"]
    return spec


@pytest.fixture(scope="module")
def gpu_render() -> RenderResult:
    return render_ollama(prod_settings(GPU_PROD))


def test_the_model_volume_is_protected_and_retained(render_stack: RenderStack) -> None:
    volume = render_stack("dev").named("ollama-models")
    assert volume.options["protect"] is True
    assert volume.options["retainOnDelete"] is True
    assert volume.inputs["metadata"]["namespace"] == "llm"
    assert volume.inputs["spec"] == {
        "accessModes": ["ReadWriteOnce"],
        "storageClassName": "local-path",
        "resources": {"requests": {"storage": "30Gi"}},
    }


def test_the_volume_takes_the_clusters_class_unless_config_names_one() -> None:
    assert only(render_ollama(prod_settings({})), PVC)["spec"]["storageClassName"] == "managed-csi-premium"
    settings = prod_settings({"ollama": {"storage": {"storageClass": "fast-nvme", "size": "100Gi"}}})
    spec = only(render_ollama(settings), PVC)["spec"]
    assert spec["storageClassName"] == "fast-nvme"
    assert spec["resources"]["requests"]["storage"] == "100Gi"


def test_the_server_keeps_home_and_models_on_the_volume(render_stack: RenderStack) -> None:
    spec = pod_spec(render_stack("dev"), STATEFULSET)
    (container,) = spec["containers"]
    env = {item["name"]: item["value"] for item in container["env"]}
    assert env["HOME"] == env["OLLAMA_MODELS"] == "/models"
    assert {"name": "models", "mountPath": "/models"} in container["volumeMounts"]
    assert {"name": "models", "persistentVolumeClaim": {"claimName": "ollama-models"}} in spec["volumes"]
    assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
    assert container["image"] == "docker.io/ollama/ollama:0.12.6"


def test_the_server_is_a_single_replica_statefulset_behind_the_service(render_stack: RenderStack) -> None:
    render = render_stack("dev")
    statefulset = only(render, STATEFULSET)
    assert statefulset["spec"]["replicas"] == 1
    assert render.named("ollama-server").options["customTimeouts"] == {"create": "30m", "update": "30m"}
    assert statefulset["spec"]["serviceName"] == "ollama"
    service = only(render, "kubernetes:core/v1:Service")
    assert service["metadata"] == {**service["metadata"], "name": "ollama", "namespace": "llm"}
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["ports"][0]["port"] == 11434
    assert service["spec"]["selector"] == statefulset["spec"]["selector"]["matchLabels"]
    assert ollamas(render, "kubernetes:policy/v1:PodDisruptionBudget") == []


def test_tuning_comes_from_config() -> None:
    overrides = {"keepAlive": "-1", "numParallel": 4, "maxLoadedModels": 2, "imageTag": "0.13.0"}
    overrides["resources"] = {"cpuRequest": "2", "memoryRequest": "6Gi", "cpuLimit": "6", "memoryLimit": "12Gi"}
    render = render_ollama(prod_settings({"ollama": overrides}))
    (container,) = pod_spec(render, STATEFULSET)["containers"]
    env = {item["name"]: item["value"] for item in container["env"]}
    assert (env["OLLAMA_KEEP_ALIVE"], env["OLLAMA_NUM_PARALLEL"], env["OLLAMA_MAX_LOADED_MODELS"]) == ("-1", "4", "2")
    assert container["image"] == "docker.io/ollama/ollama:0.13.0"
    assert container["resources"] == {
        "requests": {"cpu": "2", "memory": "6Gi"},
        "limits": {"cpu": "6", "memory": "12Gi"},
    }


def test_the_preload_job_runs_after_the_server_is_ready(render_stack: RenderStack) -> None:
    render = render_stack("dev")
    (job,) = render.of_type(JOB)
    assert render.named("ollama-server").urn in job.depends_on
    assert render.named("ollama-service").urn in job.depends_on
    assert render.named("ollama-preload-policy").urn in job.depends_on
    env = {item["name"]: item["value"] for item in job.inputs["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["OLLAMA_HOST"] == "http://ollama.llm.svc.cluster.local:11434"
    assert env["PRELOAD_MODELS"] == "llama3.2:3b"


def test_the_preload_job_is_named_by_the_model_list_and_replaced_delete_first(render_stack: RenderStack) -> None:
    (job,) = render_stack("dev").of_type(JOB)
    # Named by a fingerprint of the model list (tests/infra/llm/test_preload.py): a new list is a new Job.
    assert re.fullmatch(r"ollama-preload-[0-9a-f]{10}", job.inputs["metadata"]["name"])
    assert "ttlSecondsAfterFinished" not in job.inputs["spec"]
    assert job.options["deleteBeforeReplace"] is True
    assert job.options["customTimeouts"] == {"create": "60m", "update": "60m"}
    assert job.inputs["metadata"]["annotations"]["pulumi.com/replaceUnready"] == "true"


def test_an_unchanged_model_list_declares_the_same_job_and_a_changed_one_a_new_job() -> None:
    def job(ollama: dict[str, Any]) -> dict[str, Any]:
        return only(render_ollama(prod_settings({"ollama": ollama})), JOB)

    base = job({"models": ["llama3.2:3b", "qwen2.5-coder:7b"]})
    assert job({"models": ["qwen2.5-coder:7b", "llama3.2:3b"]}) == base
    added = job({"models": ["llama3.2:3b", "qwen2.5-coder:7b", "mistral:7b"]})
    pruned = job({"models": ["llama3.2:3b", "qwen2.5-coder:7b"], "pruneModels": True})
    names = {base["metadata"]["name"], added["metadata"]["name"], pruned["metadata"]["name"]}
    assert len(names) == 3
    prune_env = {item["name"]: item["value"] for item in pruned["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert prune_env["PRELOAD_PRUNE"] == "true"


def test_the_script_is_shipped_in_a_configmap_the_job_mounts(render_stack: RenderStack) -> None:
    render = render_stack("dev")
    script = only(render, "kubernetes:core/v1:ConfigMap")
    assert "def preload(" in script["data"]["ollama_preload.py"]
    volumes = pod_spec(render, JOB)["volumes"]
    assert volumes == [{"name": "script", "configMap": {"name": "ollama-preload-script", "defaultMode": 0o444}}]


def test_cpu_only_by_default(render_stack: RenderStack) -> None:
    spec = pod_spec(render_stack("dev"), STATEFULSET)
    assert "nodeSelector" not in spec
    assert "tolerations" not in spec
    assert "nvidia.com/gpu" not in spec["containers"][0]["resources"]["limits"]


def test_gpu_requests_gpus_and_selects_and_tolerates_the_gpu_pool(gpu_render: RenderResult) -> None:
    spec = pod_spec(gpu_render, STATEFULSET)
    assert spec["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "2"
    assert spec["nodeSelector"] == {"prompt2prod.io/gpu": "true"}
    assert spec["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}
    ]
    assert "nodeSelector" not in pod_spec(gpu_render, JOB)


@pytest.mark.slow
def test_gpu_manifests_pass_the_schema_and_checkov_gates(gpu_render: RenderResult, tmp_path: Path) -> None:
    write_render(gpu_render, tmp_path / "gpu")
    manifests = sorted((tmp_path / "gpu" / "manifests").glob("*.yaml"))
    assert len(manifests) == 9
    for path in manifests:
        kubernetes_validate.validate(yaml.safe_load(path.read_text()), "1.33.0", strict=True)
    report = run_checkov(tmp_path / "gpu" / "manifests", "kubernetes")
    assert report["results"].get("failed_checks", []) == []
    # The image-pinning skips (CKV_K8S_15 and CKV_K8S_43) on the StatefulSet and on the Job, nothing else.
    assert report["summary"]["skipped"] == 4


def test_the_server_admits_only_the_generator_the_gateway_and_the_preload(render_stack: RenderStack) -> None:
    policy = render_stack("dev").named("ollama-server-policy").inputs["spec"]
    assert policy["podSelector"]["matchLabels"] == {
        "app.kubernetes.io/name": "ollama",
        "app.kubernetes.io/component": "server",
    }
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    (rule,) = policy["ingress"]
    assert rule["ports"] == [{"port": 11434, "protocol": "TCP"}]
    assert rule["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "generator"}}},
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gateway"}}},
        {
            "podSelector": {
                "matchLabels": {"app.kubernetes.io/name": "ollama", "app.kubernetes.io/component": "model-preload"}
            }
        },
    ]


def test_the_server_may_reach_only_dns_and_https_outside_the_private_ranges(render_stack: RenderStack) -> None:
    dns, https = render_stack("dev").named("ollama-server-policy").inputs["spec"]["egress"]
    assert dns["to"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ]
    assert {port["port"] for port in dns["ports"]} == {53}
    assert https["ports"] == [{"port": 443, "protocol": "TCP"}]
    (block,) = https["to"]
    assert block["ipBlock"]["cidr"] == "0.0.0.0/0"
    assert {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"} <= set(block["ipBlock"]["except"])


def test_the_preload_pods_accept_nothing_and_reach_only_dns_and_the_server(render_stack: RenderStack) -> None:
    policy = render_stack("dev").named("ollama-preload-policy").inputs["spec"]
    assert policy["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "model-preload"
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    assert policy.get("ingress", []) == []
    _, server = policy["egress"]
    assert server == {
        "to": [
            {
                "podSelector": {
                    "matchLabels": {"app.kubernetes.io/name": "ollama", "app.kubernetes.io/component": "server"}
                }
            }
        ],
        "ports": [{"port": 11434, "protocol": "TCP"}],
    }


@pytest.mark.parametrize("kind", [STATEFULSET, JOB])
def test_every_pod_is_hardened(render_stack: RenderStack, kind: str) -> None:
    spec = pod_spec(render_stack("dev"), kind)
    assert spec["automountServiceAccountToken"] is False
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    for container in spec["containers"]:
        context = container["securityContext"]
        assert context["runAsNonRoot"] is True
        assert context["runAsUser"] >= 10000
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert set(container["resources"]["requests"]) == set(container["resources"]["limits"]) - {"nvidia.com/gpu"}
        assert container["imagePullPolicy"] == "IfNotPresent"


def test_the_model_volume_is_group_owned_by_the_server(render_stack: RenderStack) -> None:
    context = pod_spec(render_stack("dev"), STATEFULSET)["securityContext"]
    assert context["fsGroup"] == context["runAsUser"] == 10001
    assert context["fsGroupChangePolicy"] == "OnRootMismatch"


def test_the_server_is_probed_on_the_ollama_api(render_stack: RenderStack) -> None:
    (container,) = pod_spec(render_stack("dev"), STATEFULSET)["containers"]
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert container[probe]["httpGet"] == {"path": "/api/version", "port": "http"}


def test_each_workload_has_its_own_service_account_without_token(render_stack: RenderStack) -> None:
    render = render_stack("dev")
    accounts = {r.inputs["metadata"]["name"]: r.inputs for r in render.of_type("kubernetes:core/v1:ServiceAccount")}
    assert {"ollama", "ollama-preload"} <= accounts.keys()
    assert accounts["ollama"]["automountServiceAccountToken"] is False
    assert accounts["ollama-preload"]["automountServiceAccountToken"] is False
    assert pod_spec(render, STATEFULSET)["serviceAccountName"] == "ollama"
    assert pod_spec(render, JOB)["serviceAccountName"] == "ollama-preload"


def test_every_object_lives_in_llm_under_the_component(render_stack: RenderStack) -> None:
    render = render_stack("dev")
    component = render.named("ollama")
    children = [r for r in render.resources if r.parent == component.urn]
    assert len(children) == 9
    for child in children:
        assert child.inputs["metadata"]["namespace"] == "llm"
        assert child.inputs["metadata"]["labels"]["app.kubernetes.io/part-of"] == "prompt2prod"
        assert render.named("platform-llm").urn in child.depends_on


def test_the_stack_exports_the_url_and_the_models(render_stack: RenderStack) -> None:
    outputs = render_stack("dev", {"ollama": {"models": ["llama3.2:3b", "qwen2.5-coder:7b"]}}).outputs
    assert outputs["ollamaUrl"] == "http://ollama.llm.svc.cluster.local:11434"
    assert outputs["ollamaModels"] == ["llama3.2:3b", "qwen2.5-coder:7b"]
