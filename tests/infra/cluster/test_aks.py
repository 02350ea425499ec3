"""The prod AKS cluster under mocks: its resource graph, the settings a platform team audits, and checkov's AKS checks.

Each `test_ckv_azure_*` asserts, on the inputs the program sends to Azure, what that checkov check looks for (or, for
the few checks that do not fit, the documented alternative). `test_checkov_arm_checks_pass_on_the_cluster` also runs
checkov's own ARM checks on an ARM template made from the same inputs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from infra.cluster.aks import AKS_RBAC_CLUSTER_ADMIN_ROLE, AksCluster, AksClusterArgs, use_kubelogin_mode
from infra.config import parse_config
from infra.render import RenderResult
from infra.render.mocks import MOCK_DEPLOYER_OBJECT_ID, MOCK_TENANT_ID
from tests.support import RenderStack, run_checkov, stack_input
from tests.support.render import render_component

CLUSTER = "azure-native:containerservice:ManagedCluster"
AGENT_POOL = "azure-native:containerservice:AgentPool"


def cluster_inputs(result: RenderResult) -> dict[str, Any]:
    (cluster,) = result.of_type(CLUSTER)
    return cluster.inputs


def system_pool(result: RenderResult) -> dict[str, Any]:
    (pool,) = cluster_inputs(result)["agentPoolProfiles"]
    assert isinstance(pool, dict)
    return pool


def agent_pools(result: RenderResult) -> dict[str, dict[str, Any]]:
    return {pool.inputs["agentPoolName"]: pool.inputs for pool in result.of_type(AGENT_POOL)}


@pytest.fixture(scope="module")
def prod(render_stack: RenderStack) -> RenderResult:
    return render_stack("prod")


# --- checkov's AKS checks (CKV_AZURE_*), one test each --------------------------------------------------------------


def test_ckv_azure_4_logging_to_azure_monitor(prod: RenderResult) -> None:
    (workspace,) = prod.of_type("azure-native:operationalinsights:Workspace")
    omsagent = cluster_inputs(prod)["addonProfiles"]["omsagent"]
    assert omsagent["enabled"] is True
    assert omsagent["config"]["logAnalyticsWorkspaceResourceID"] == f"{workspace.name}-id"
    assert workspace.inputs["workspaceCapping"]["dailyQuotaGb"] == 1  # cost ceiling


def test_ckv_azure_5_rbac_enabled(prod: RenderResult) -> None:
    inputs = cluster_inputs(prod)
    assert inputs["enableRBAC"] is True
    assert inputs["aadProfile"] == {"managed": True, "enableAzureRBAC": True, "tenantID": MOCK_TENANT_ID}


def test_ckv_azure_6_api_server_authorized_ip_ranges(prod: RenderResult) -> None:
    assert cluster_inputs(prod)["apiServerAccessProfile"]["authorizedIPRanges"] == ["203.0.113.0/24"]


def test_ckv_azure_7_network_policy(prod: RenderResult) -> None:
    assert cluster_inputs(prod)["networkProfile"]["networkPolicy"] == "cilium"


def test_ckv_azure_8_no_kubernetes_dashboard_addon(prod: RenderResult) -> None:
    """The dashboard add-on no longer exists for supported Kubernetes versions: it is never declared at all.

    (checkov wants an explicit `kubeDashboard: {enabled: false}`, a profile current AKS API versions do not know.)
    """
    assert "kubeDashboard" not in cluster_inputs(prod)["addonProfiles"]


def test_ckv_azure_115_private_cluster_or_authorized_ranges(prod: RenderResult, render_stack: RenderStack) -> None:
    """Public API server by default, restricted to `apiServerAuthorizedIpRanges` (Pulumi must reach it from where it
    runs); `privateCluster: true` makes it private (then Pulumi must run inside the VNet)."""
    assert cluster_inputs(prod)["apiServerAccessProfile"]["enablePrivateCluster"] is False
    private = render_stack("prod", {"cluster": {"aks": {"privateCluster": True, "apiServerAuthorizedIpRanges": []}}})
    assert cluster_inputs(private)["apiServerAccessProfile"] == {"enablePrivateCluster": True}


def test_ckv_azure_116_azure_policy_addon(prod: RenderResult) -> None:
    assert cluster_inputs(prod)["addonProfiles"]["azurepolicy"] == {"enabled": True}


def test_ckv_azure_117_no_disk_encryption_set_but_encryption_at_host(prod: RenderResult) -> None:
    """Disks are encrypted at rest with platform-managed keys; customer-managed keys (a disk encryption set in a Key
    Vault) are not used. Encryption at host covers temp disks and caches, which a disk encryption set does not."""
    assert "diskEncryptionSetID" not in cluster_inputs(prod)
    assert system_pool(prod)["enableEncryptionAtHost"] is True


def test_ckv_azure_141_local_admin_disabled(prod: RenderResult) -> None:
    assert cluster_inputs(prod)["disableLocalAccounts"] is True


def test_ckv_azure_168_max_pods_at_least_50(prod: RenderResult) -> None:
    assert system_pool(prod)["maxPods"] >= 50
    assert all(pool["maxPods"] >= 50 for pool in agent_pools(prod).values())


def test_ckv_azure_170_paid_sla_tier(prod: RenderResult) -> None:
    assert cluster_inputs(prod)["sku"] == {"name": "Base", "tier": "Standard"}


def test_ckv_azure_171_auto_upgrade_channel(prod: RenderResult) -> None:
    assert cluster_inputs(prod)["autoUpgradeProfile"] == {
        "upgradeChannel": "patch",
        "nodeOSUpgradeChannel": "NodeImage",
    }


def test_ckv_azure_172_secrets_store_csi_rotation(prod: RenderResult) -> None:
    provider = cluster_inputs(prod)["addonProfiles"]["azureKeyvaultSecretsProvider"]
    assert provider == {"enabled": True, "config": {"enableSecretRotation": "true", "rotationPollInterval": "2m"}}


def test_ckv_azure_226_ephemeral_os_disks(prod: RenderResult) -> None:
    assert system_pool(prod)["osDiskType"] == "Ephemeral"
    assert all(pool["osDiskType"] == "Ephemeral" for pool in agent_pools(prod).values())


def test_ckv_azure_227_encryption_at_host(prod: RenderResult) -> None:
    assert system_pool(prod)["enableEncryptionAtHost"] is True
    assert all(pool["enableEncryptionAtHost"] is True for pool in agent_pools(prod).values())


# checkov's ARM checks that fail on purpose, and why.
EXPLAINED_ARM_FAILURES = {
    "CKV_AZURE_8": "wants an explicit kubeDashboard add-on profile, which current AKS API versions do not have",
    "CKV_AZURE_172": "compares enableSecretRotation with a boolean; add-on config values are strings ('true')",
}


def arm_template(result: RenderResult) -> dict[str, Any]:
    """The cluster and its agent pools as an ARM template (azure-native inputs use the ARM property names)."""
    resources = []
    for resource in result.of_type(CLUSTER):
        properties = dict(resource.inputs)
        properties.pop("resourceGroupName")
        top = {key: properties.pop(key) for key in ("location", "sku", "identity", "tags")}
        resources.append(
            {
                "type": "Microsoft.ContainerService/managedClusters",
                "apiVersion": "2025-05-01",
                "name": resource.name,
                **top,
                "properties": properties,
            }
        )
    for resource in result.of_type(AGENT_POOL):
        properties = {k: v for k, v in resource.inputs.items() if k not in {"resourceGroupName", "resourceName"}}
        pool_name = properties.pop("agentPoolName")
        resources.append(
            {
                "type": "Microsoft.ContainerService/managedClusters/agentPools",
                "apiVersion": "2025-05-01",
                "name": f"cluster/{pool_name}",
                "properties": properties,
            }
        )
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": resources,
    }


@pytest.mark.slow
def test_checkov_arm_checks_pass_on_the_cluster(render_stack: RenderStack, tmp_path: Path) -> None:
    with_gpu = render_stack("prod", {"cluster": {"aks": {"gpuPool": {}}}, "ollama": {"gpu": {"enabled": True}}})
    (tmp_path / "aks.json").write_text(json.dumps(arm_template(with_gpu)))
    results = run_checkov(tmp_path, "arm")["results"]
    failed = {check["check_id"] for check in results.get("failed_checks", [])}
    passed = {check["check_id"] for check in results.get("passed_checks", [])}
    assert failed == set(EXPLAINED_ARM_FAILURES)
    assert {"CKV_AZURE_4", "CKV_AZURE_5", "CKV_AZURE_6", "CKV_AZURE_7", "CKV_AZURE_141", "CKV_AZURE_168"} <= passed
    assert {"CKV_AZURE_169", "CKV_AZURE_171", "CKV_AZURE_226", "CKV_AZURE_227"} <= passed


# --- resource graph and key properties ------------------------------------------------------------------------------


def test_cluster_lives_in_its_resource_group_on_the_node_subnet(prod: RenderResult) -> None:
    (group,) = prod.of_type("azure-native:resources:ResourceGroup")
    (vnet,) = prod.of_type("azure-native:network:VirtualNetwork")
    subnet = prod.named("prompt2prod-nodes")
    assert group.inputs["location"] == "westeurope"
    assert vnet.inputs["addressSpace"] == {"addressPrefixes": ["10.42.0.0/16"]}
    assert subnet.inputs["addressPrefix"] == "10.42.0.0/20"
    # Not Microsoft.ContainerRegistry: the registry is reached through its private endpoint, and ACR does not
    # combine one with service endpoints of the same VNet.
    assert {e["service"] for e in subnet.inputs["serviceEndpoints"]} == {"Microsoft.KeyVault", "Microsoft.Storage"}
    assert cluster_inputs(prod)["resourceGroupName"] == group.name
    assert system_pool(prod)["vnetSubnetID"] == f"{subnet.name}-id"
    assert all(pool["vnetSubnetID"] == f"{subnet.name}-id" for pool in agent_pools(prod).values())


def test_vnet_has_the_private_endpoint_subnet_created_after_the_nodes_one(prod: RenderResult) -> None:
    nodes, endpoints = (prod.named(f"prompt2prod-{n}") for n in ("nodes", "endpoints"))
    assert endpoints.inputs["addressPrefix"] == "10.42.16.0/24"
    # Azure refuses concurrent changes to one VNet's subnets.
    assert nodes.urn in endpoints.depends_on
    assert {s.name for s in prod.of_type("azure-native:network:Subnet")} == {nodes.name, endpoints.name}


def test_kubernetes_version_is_pinned_on_cluster_and_pools(prod: RenderResult) -> None:
    assert cluster_inputs(prod)["kubernetesVersion"] == "1.33"
    assert system_pool(prod)["orchestratorVersion"] == "1.33"
    assert all(pool["orchestratorVersion"] == "1.33" for pool in agent_pools(prod).values())


def test_system_pool_runs_critical_addons_only_autoscaled_across_zones(prod: RenderResult) -> None:
    pool = system_pool(prod)
    assert pool["mode"] == "System"
    assert pool["nodeTaints"] == ["CriticalAddonsOnly=true:NoSchedule"]
    assert (pool["enableAutoScaling"], pool["minCount"], pool["maxCount"]) == (True, 2, 3)
    assert pool["availabilityZones"] == ["1", "2", "3"]


def test_user_pool_is_a_separate_agent_pool(prod: RenderResult) -> None:
    assert set(agent_pools(prod)) == {"user"}
    user = agent_pools(prod)["user"]
    assert user["mode"] == "User"
    assert "nodeTaints" not in user
    assert (user["vmSize"], user["minCount"], user["maxCount"]) == ("Standard_D8ds_v5", 2, 5)
    assert user["nodeLabels"] == {"prompt2prod.io/pool": "user"}
    (pool,) = prod.of_type(AGENT_POOL)
    assert prod.named("prompt2prod-aks").urn in pool.depends_on


def test_no_node_gets_a_public_ip(prod: RenderResult) -> None:
    assert system_pool(prod)["enableNodePublicIP"] is False
    assert all(pool["enableNodePublicIP"] is False for pool in agent_pools(prod).values())


def test_gpu_pool_is_tainted_labelled_and_scales_to_zero(render_stack: RenderStack) -> None:
    result = render_stack("prod", {"cluster": {"aks": {"gpuPool": {}}}, "ollama": {"gpu": {"enabled": True}}})
    gpu = agent_pools(result)["gpu"]
    assert gpu["mode"] == "User"
    assert gpu["nodeTaints"] == ["nvidia.com/gpu=present:NoSchedule"]
    assert gpu["nodeLabels"] == {"prompt2prod.io/pool": "gpu", "prompt2prod.io/gpu": "true"}
    assert (gpu["vmSize"], gpu["minCount"], gpu["maxCount"]) == ("Standard_NC4as_T4_v3", 0, 1)


def test_autoscaler_owns_node_counts(render_stack: RenderStack) -> None:
    result = render_stack("prod", {"cluster": {"aks": {"gpuPool": {}}}, "ollama": {"gpu": {"enabled": True}}})
    assert result.named("prompt2prod-aks").options["ignoreChanges"] == ["agentPoolProfiles[0].count"]
    assert all(pool.options["ignoreChanges"] == ["count"] for pool in result.of_type(AGENT_POOL))


def test_node_pools_are_created_one_at_a_time(render_stack: RenderStack) -> None:
    result = render_stack("prod", {"cluster": {"aks": {"gpuPool": {}}}, "ollama": {"gpu": {"enabled": True}}})
    assert result.named("prompt2prod-user").urn in result.named("prompt2prod-gpu").depends_on


def test_workload_identity_and_oidc_issuer_are_enabled(prod: RenderResult) -> None:
    inputs = cluster_inputs(prod)
    assert inputs["oidcIssuerProfile"] == {"enabled": True}
    assert inputs["securityProfile"]["workloadIdentity"] == {"enabled": True}


def test_network_is_azure_cni_overlay(prod: RenderResult) -> None:
    network = cluster_inputs(prod)["networkProfile"]
    assert (network["networkPlugin"], network["networkPluginMode"], network["networkDataplane"]) == (
        "azure",
        "overlay",
        "cilium",
    )
    assert (network["podCidr"], network["serviceCidr"], network["dnsServiceIP"]) == (
        "10.244.0.0/16",
        "10.43.0.0/16",
        "10.43.0.10",
    )


def test_calico_policy_uses_the_azure_dataplane(render_stack: RenderStack) -> None:
    result = render_stack("prod", {"cluster": {"aks": {"networkPolicy": "calico"}}})
    network = cluster_inputs(result)["networkProfile"]
    assert (network["networkPolicy"], network["networkDataplane"]) == ("calico", "azure")


def test_maintenance_windows_cover_cluster_and_node_os_upgrades(prod: RenderResult) -> None:
    configs = {
        r.inputs["configName"]: r.inputs for r in prod.of_type("azure-native:containerservice:MaintenanceConfiguration")
    }
    assert set(configs) == {"aksManagedAutoUpgradeSchedule", "aksManagedNodeOSUpgradeSchedule"}
    for config in configs.values():
        assert config["resourceName"] == "prompt2prod-aks"
        assert config["maintenanceWindow"] == {
            "schedule": {"weekly": {"dayOfWeek": "Sunday", "intervalWeeks": 1}},
            "durationHours": 4,
            "startTime": "02:00",
            "utcOffset": "+00:00",
        }


def test_deploying_identity_is_cluster_admin_through_azure_rbac(prod: RenderResult) -> None:
    (assignment,) = [
        r
        for r in prod.of_type("azure-native:authorization:RoleAssignment")
        if r.inputs["principalId"] == MOCK_DEPLOYER_OBJECT_ID
    ]
    assert assignment.inputs["roleDefinitionId"].endswith(f"/roleDefinitions/{AKS_RBAC_CLUSTER_ADMIN_ROLE}")
    assert assignment.inputs["scope"] == "prompt2prod-aks-id"


def test_log_analytics_can_be_turned_off(render_stack: RenderStack) -> None:
    result = render_stack("prod", {"cluster": {"aks": {"logAnalytics": {"enabled": False}}}})
    assert not result.of_type("azure-native:operationalinsights:Workspace")
    assert "omsagent" not in cluster_inputs(result)["addonProfiles"]


def test_rotation_interval_comes_from_the_secret_store_config(render_stack: RenderStack) -> None:
    result = render_stack("prod", {"secretStore": {"keyVault": {"rotationPollInterval": "10m"}}})
    config = cluster_inputs(result)["addonProfiles"]["azureKeyvaultSecretsProvider"]["config"]
    assert config["rotationPollInterval"] == "10m"


# --- kubeconfig and what the component exposes ----------------------------------------------------------------------


def test_kubeconfig_uses_kubelogin_non_interactively_and_is_secret(prod: RenderResult) -> None:
    assert "kubeconfig" in prod.secret_outputs
    (user,) = yaml.safe_load(prod.outputs["kubeconfig"])["users"]
    args = user["user"]["exec"]["args"]
    assert user["user"]["exec"]["command"] == "kubelogin"
    assert args[-2:] == ["--login", "azurecli"]
    assert "devicecode" not in args
    assert "--client-id" not in args
    assert args[args.index("--server-id") + 1] == "6dae42f8-4368-4678-94ff-3960e28e3630"
    (provider,) = prod.of_type("pulumi:providers:kubernetes")
    assert provider.inputs["kubeconfig"] == "[secret]"


@pytest.mark.parametrize("mode", ["workloadidentity", "spn", "msi"])
def test_kubelogin_mode_is_replaced(mode: str) -> None:
    kubeconfig = yaml.safe_dump(
        {
            "users": [
                {"name": "u", "user": {"exec": {"command": "kubelogin", "args": ["get-token", "-l", "devicecode"]}}},
                {"name": "other", "user": {"token": "t"}},
            ]
        }
    )
    users = yaml.safe_load(use_kubelogin_mode(kubeconfig, mode))["users"]
    assert users[0]["user"]["exec"]["args"] == ["get-token", "--login", mode]
    assert users[1]["user"] == {"token": "t"}


def test_component_exposes_what_registry_and_key_vault_need() -> None:
    given = stack_input("prod")
    settings = parse_config(given.values, given.secret_keys).platform.cluster.aks

    def build(_: pulumi.ResourceOptions) -> dict[str, Any]:
        aks = AksCluster("p", AksClusterArgs(config=settings))
        handle = aks.handle()
        assert handle.azure is aks.azure
        return {
            "oidc": aks.azure.oidc_issuer_url,
            "kubelet": aks.azure.kubelet_identity_object_id,
            "subnet": aks.azure.node_subnet_id,
            "group": aks.azure.resource_group_name,
            "location": aks.azure.location,
            "name": aks.cluster_name,
            "tenant": aks.azure.tenant_id,
            "storageClass": handle.storage_class,
            "gpu": handle.has_gpu_nodes,
        }

    result = render_component(build, stack="prod")
    assert result.outputs == {
        "oidc": f"https://westeurope.oic.prod-aks.azure.com/{MOCK_TENANT_ID}/p-aks/",
        "kubelet": "kubelet-object-p-aks",
        "subnet": "p-nodes-id",
        "group": "p-rg",
        "location": "westeurope",
        "name": "p-aks",
        "tenant": MOCK_TENANT_ID,
        "storageClass": "managed-csi-premium",
        "gpu": False,
    }
