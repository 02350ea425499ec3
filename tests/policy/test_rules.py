"""The policy pack's resource rules: both renders pass, and each rule fires on a broken input naming the resource.

Guards against a rule that never fires (a typo in a field path passes everything) and against a rule that blocks
the real stacks' previews in CI.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from policy.rules import RESOURCE_RULES, WAIVER_HINT, Resource, image_problem, resources_of
from tests.support import RenderStack
from tests.support.policy import deployment


def with_inputs(resource: Resource, path: list[str | int], value: Any) -> Resource:
    inputs = copy.deepcopy(dict(resource.inputs))
    node: Any = inputs
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return Resource(resource.type, resource.name, resource.urn, inputs)


def violations(resource: Resource) -> dict[str, list[str]]:
    found = {name: rule(resource) for name, rule in RESOURCE_RULES.items()}
    return {name: messages for name, messages in found.items() if messages}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_resource_rule_passes_on_the_render(render_stack: RenderStack, stack: str) -> None:
    resources = resources_of(render_stack(stack).document())
    found = [message for resource in resources for message in violations(resource).values()]
    assert found == [], f"fix the object, or waive one reviewed exception: {WAIVER_HINT}"


def test_a_compliant_deployment_passes_every_rule() -> None:
    assert violations(deployment()) == {}


@pytest.mark.parametrize(
    ("rule", "overrides", "expected"),
    [
        (
            "requests-and-limits",
            {"resources": {"requests": {"cpu": "100m"}}},
            'container "app" sets no requests.memory',
        ),
        ("probes", {"readinessProbe": None}, 'container "app" has no readinessProbe'),
        ("pinned-images", {"image": "nginx:latest"}, "uses the latest tag"),
        ("pinned-images", {"image": "registry.example.com:5000/nginx"}, "has no tag"),
        ("non-root", {"securityContext": {"readOnlyRootFilesystem": True, "runAsNonRoot": False}}, "runAsNonRoot"),
        ("non-root", {"securityContext": {"readOnlyRootFilesystem": True, "runAsUser": 0}}, "runs as user 0"),
        ("read-only-root-filesystem", {"securityContext": {}}, "readOnlyRootFilesystem"),
    ],
)
def test_workload_rule_fires_on_a_broken_container_and_names_the_object(
    rule: str, overrides: dict[str, Any], expected: str
) -> None:
    messages = RESOURCE_RULES[rule](deployment(**overrides))
    assert len(messages) == 1
    assert messages[0].startswith("Deployment shop/web (web-deploy): ")
    assert expected in messages[0]


def test_init_containers_are_checked_too() -> None:
    broken = with_inputs(
        deployment(), ["spec", "template", "spec", "initContainers"], [{"name": "seed", "image": "busybox"}]
    )
    found = violations(broken)
    assert 'init container "seed"' in found["pinned-images"][0]
    assert 'init container "seed"' in found["requests-and-limits"][0]
    assert "probes" not in found  # init containers run to completion


def test_jobs_need_no_probes_but_cronjob_pods_are_checked() -> None:
    pod_spec = deployment().inputs["spec"]["template"]
    job_spec = copy.deepcopy(pod_spec)
    del job_spec["spec"]["containers"][0]["livenessProbe"]
    job = Resource(
        "kubernetes:batch/v1:Job",
        "seed",
        "urn:seed",
        {"metadata": {"name": "seed", "namespace": "llm"}, "spec": {"template": job_spec}},
    )
    assert RESOURCE_RULES["probes"](job) == []
    cron_spec = copy.deepcopy(job_spec)
    cron_spec["spec"]["containers"][0]["image"] = "busybox"
    cron = Resource(
        "kubernetes:batch/v1:CronJob",
        "nightly",
        "urn:nightly",
        {
            "metadata": {"name": "nightly", "namespace": "llm"},
            "spec": {"jobTemplate": {"spec": {"template": cron_spec}}},
        },
    )
    assert RESOURCE_RULES["pinned-images"](cron) == [
        "CronJob llm/nightly (nightly): container \"app\" image 'busybox' has no tag (it means latest)"
    ]


def test_a_waiver_with_a_reason_skips_only_its_rule() -> None:
    broken = with_inputs(
        deployment(securityContext={}),
        ["metadata", "annotations"],
        {
            "policy.prompt2prod.io/skip-read-only-root-filesystem": "ollama writes its key pair under $HOME at start",
        },
    )
    assert violations(broken) == {}


def test_a_waiver_without_a_reason_does_not_count() -> None:
    broken = with_inputs(
        deployment(securityContext={}),
        ["metadata", "annotations"],
        {"policy.prompt2prod.io/skip-read-only-root-filesystem": "yes"},
    )
    assert "read-only-root-filesystem" in violations(broken)


def test_objects_inside_a_helm_chart_are_out_of_scope() -> None:
    inside = deployment(image="nginx")
    chart_child = Resource(
        inside.type,
        inside.name,
        "urn:pulumi:dev::p::kubernetes:helm.sh/v4:Chart$kubernetes:apps/v1:Deployment::x",
        inside.inputs,
    )
    assert violations(chart_child) == {}


@pytest.mark.parametrize(
    ("image", "pinned"),
    [
        ("ollama/ollama:0.6.5", True),
        ("registry.example.com:5000/team/app:1.0", True),
        ("app@sha256:" + "a" * 64, True),
        ("registry.example.com:5000/team/app", False),
        ("app:latest", False),
        ("", False),
    ],
)
def test_image_pinning(image: str, pinned: bool) -> None:
    assert (image_problem(image) is None) is pinned


def azure(type_: str, inputs: dict[str, Any]) -> Resource:
    return Resource(type_, "thing", f"urn:pulumi:prod::p::{type_}::thing", inputs)


def test_acr_admin_user_fires_when_enabled() -> None:
    assert (
        RESOURCE_RULES["acr-admin-user-disabled"](
            azure("azure-native:containerregistry:Registry", {"adminUserEnabled": False})
        )
        == []
    )
    assert RESOURCE_RULES["acr-admin-user-disabled"](
        azure("azure-native:containerregistry/v20230701:Registry", {"adminUserEnabled": True})
    ) == ["azure-native:containerregistry/v20230701:Registry thing: adminUserEnabled must be false"]


def test_key_vault_requires_purge_protection() -> None:
    vault = "azure-native:keyvault:Vault"
    assert (
        RESOURCE_RULES["key-vault-purge-protection"](azure(vault, {"properties": {"enablePurgeProtection": True}}))
        == []
    )
    assert RESOURCE_RULES["key-vault-purge-protection"](azure(vault, {"properties": {"enableSoftDelete": False}})) == [
        "azure-native:keyvault:Vault thing: properties.enablePurgeProtection must be true",
        "azure-native:keyvault:Vault thing: properties.enableSoftDelete must not be false",
    ]


def test_aks_requires_local_accounts_disabled() -> None:
    aks = "azure-native:containerservice:ManagedCluster"
    assert RESOURCE_RULES["aks-local-accounts-disabled"](azure(aks, {"disableLocalAccounts": True})) == []
    assert RESOURCE_RULES["aks-local-accounts-disabled"](azure(aks, {})) == [
        "azure-native:containerservice:ManagedCluster thing: disableLocalAccounts must be true"
    ]


def test_a_checkov_skip_with_a_reason_waives_only_the_equivalent_check() -> None:
    no_cpu_limit = deployment(resources={"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "64Mi"}})
    skipped = with_inputs(
        no_cpu_limit, ["metadata", "annotations"], {"checkov.io/skip1": "CKV_K8S_11=CPU limits throttle the model"}
    )
    assert violations(skipped) == {}
    memory_too = with_inputs(skipped, ["spec", "template", "spec", "containers", 0, "resources", "limits"], {})
    assert violations(memory_too) == {
        "requests-and-limits": ['Deployment shop/web (web-deploy): container "app" sets no limits.memory']
    }


@pytest.mark.parametrize(
    ("check", "rule", "overrides"),
    [
        ("CKV_K8S_22", "read-only-root-filesystem", {"securityContext": {}}),
        ("CKV_K8S_14", "pinned-images", {"image": "nginx"}),
        ("CKV_K8S_9", "probes", {"readinessProbe": None}),
    ],
)
def test_checkov_skips_count_only_with_a_reason(check: str, rule: str, overrides: dict[str, Any]) -> None:
    broken = deployment(**overrides)
    with_reason = with_inputs(broken, ["metadata", "annotations"], {"checkov.io/skip1": f"{check}=stated reason here"})
    without = with_inputs(broken, ["metadata", "annotations"], {"checkov.io/skip1": f"{check}=because"})
    assert rule not in violations(with_reason)
    assert rule in violations(without)
