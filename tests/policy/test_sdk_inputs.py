"""The rules read the inputs exactly as the Pulumi SDKs send them: type tokens and camelCase field names.

Resources are declared with the real `pulumi_kubernetes` and `pulumi_azure_native` typed args under the render's
mocks, so a rule written against a wrong token (`containerregistry:Registry`) or a wrong field name
(`admin_user_enabled`) fails here instead of passing every preview silently.
"""

from __future__ import annotations

import functools

import pulumi
import pulumi_kubernetes as k8s
import pytest

from policy.rules import RESOURCE_RULES, Resource, resources_of
from policy.stack_rules import STACK_RULES
from tests.support.render import render_component

LABELS = {"app.kubernetes.io/name": "web"}


def web_deployment(replicas: int, *, image: str, read_only: bool, opts: pulumi.ResourceOptions) -> None:
    container = k8s.core.v1.ContainerArgs(
        name="web",
        image=image,
        resources=k8s.core.v1.ResourceRequirementsArgs(
            requests={"cpu": "100m", "memory": "64Mi"}, limits={"cpu": "500m", "memory": "128Mi"}
        ),
        liveness_probe=k8s.core.v1.ProbeArgs(http_get=k8s.core.v1.HTTPGetActionArgs(path="/health", port=8080)),
        readiness_probe=k8s.core.v1.ProbeArgs(http_get=k8s.core.v1.HTTPGetActionArgs(path="/ready", port=8080)),
        security_context=k8s.core.v1.SecurityContextArgs(
            read_only_root_filesystem=read_only, allow_privilege_escalation=False
        ),
    )
    k8s.apps.v1.Deployment(
        "web",
        metadata=k8s.meta.v1.ObjectMetaArgs(name="web", namespace="shop"),
        spec=k8s.apps.v1.DeploymentSpecArgs(
            replicas=replicas,
            selector=k8s.meta.v1.LabelSelectorArgs(match_labels=LABELS),
            template=k8s.core.v1.PodTemplateSpecArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(labels=LABELS),
                spec=k8s.core.v1.PodSpecArgs(
                    security_context=k8s.core.v1.PodSecurityContextArgs(run_as_non_root=True, run_as_user=10001),
                    containers=[container],
                ),
            ),
        ),
        opts=opts,
    )


def render(*, replicas: int, image: str, read_only: bool, guards: bool) -> list[Resource]:
    def build(opts: pulumi.ResourceOptions) -> None:
        web_deployment(replicas, image=image, read_only=read_only, opts=opts)
        if guards:
            selector = k8s.meta.v1.LabelSelectorArgs(match_labels=LABELS)
            meta = k8s.meta.v1.ObjectMetaArgs(name="web", namespace="shop")
            k8s.networking.v1.NetworkPolicy(
                "web-np",
                metadata=meta,
                spec=k8s.networking.v1.NetworkPolicySpecArgs(pod_selector=selector, policy_types=["Ingress"]),
                opts=opts,
            )
            k8s.policy.v1.PodDisruptionBudget(
                "web-pdb",
                metadata=meta,
                spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(min_available=1, selector=selector),
                opts=opts,
            )

    return resources_of(render_component(build).document())


def all_violations(resources: list[Resource]) -> list[str]:
    found = [message for resource in resources for rule in RESOURCE_RULES.values() for message in rule(resource)]
    return found + [message for rule in STACK_RULES.values() for _, message in rule(resources)]


def test_a_hardened_deployment_declared_with_the_sdk_passes() -> None:
    assert all_violations(render(replicas=2, image="web:1.0.0", read_only=True, guards=True)) == []


def test_a_broken_deployment_declared_with_the_sdk_is_caught_by_each_rule() -> None:
    found = all_violations(render(replicas=2, image="web:latest", read_only=False, guards=False))
    assert len(found) == 4, found
    assert any("uses the latest tag" in m for m in found)
    assert any("readOnlyRootFilesystem" in m for m in found)
    assert any("no NetworkPolicy in shop selects its pods" in m for m in found)
    assert any("no PodDisruptionBudget selects it" in m for m in found)
    assert all(m.startswith("Deployment shop/web (web): ") for m in found)


@functools.cache
def azure_resources(broken: bool) -> list[Resource]:
    from pulumi_azure_native import containerregistry, containerservice, keyvault

    def build(_: pulumi.ResourceOptions) -> None:
        containerregistry.Registry(
            "acr",
            resource_group_name="rg",
            sku=containerregistry.SkuArgs(name="Premium"),
            admin_user_enabled=broken,
        )
        keyvault.Vault(
            "kv",
            resource_group_name="rg",
            properties=keyvault.VaultPropertiesArgs(
                tenant_id="00000000-0000-0000-0000-000000000000",
                sku=keyvault.SkuArgs(family="A", name="standard"),
                enable_rbac_authorization=True,
                enable_purge_protection=None if broken else True,
            ),
        )
        containerservice.ManagedCluster("aks", resource_group_name="rg", disable_local_accounts=not broken)

    return resources_of(render_component(build, stack="prod").document())


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("acr-admin-user-disabled", "azure-native:containerregistry:Registry acr: adminUserEnabled must be false"),
        ("key-vault-purge-protection", "azure-native:keyvault:Vault kv: properties.enablePurgeProtection must be true"),
        (
            "aks-local-accounts-disabled",
            "azure-native:containerservice:ManagedCluster aks: disableLocalAccounts must be true",
        ),
    ],
)
def test_azure_rules_read_the_sdk_inputs(rule: str, message: str) -> None:
    assert [m for r in azure_resources(broken=False) for m in RESOURCE_RULES[rule](r)] == []
    assert [m for r in azure_resources(broken=True) for m in RESOURCE_RULES[rule](r)] == [message]
