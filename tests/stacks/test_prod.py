"""The prod stack: AKS first, then the platform on it; nothing in-cluster before the cluster and its pools exist."""

from __future__ import annotations

from infra import azure
from tests.support import RenderStack

# What each identity may do, by the type of the one resource it is granted on (docs/clusters.md, docs/observability.md).
LEAST_PRIVILEGE = {
    "azure-native:containerregistry:Registry": azure.ACR_PULL,
    "azure-native:keyvault:Secret": azure.KEY_VAULT_SECRETS_USER,
    "azure-native:storage:StorageAccount": azure.STORAGE_BLOB_DATA_CONTRIBUTOR,
    "azure-native:containerservice:ManagedCluster": azure.AKS_RBAC_CLUSTER_ADMIN_ROLE,
}


def test_prod_builds_aks_with_its_pools_and_access(render_stack: RenderStack) -> None:
    result = render_stack("prod")
    types = {r.type for r in result.resources}
    assert {
        "azure-native:resources:ResourceGroup",
        "azure-native:network:VirtualNetwork",
        "azure-native:network:Subnet",
        "azure-native:operationalinsights:Workspace",
        "azure-native:containerservice:ManagedCluster",
        "azure-native:containerservice:AgentPool",
        "azure-native:containerservice:MaintenanceConfiguration",
        "azure-native:authorization:RoleAssignment",
    } <= types
    aks = result.named("prompt2prod")
    assert aks.type == "prompt2prod:index:AksCluster"
    cluster_types = {"containerservice", "operationalinsights", "resources"}
    network = {"azure-native:network:VirtualNetwork", "azure-native:network:Subnet"}
    assert all(
        r.parent == aks.urn for r in result.resources if r.type.split(":")[1] in cluster_types or r.type in network
    )


def test_provider_waits_for_cluster_pools_and_admin_role(render_stack: RenderStack) -> None:
    result = render_stack("prod")
    (provider,) = result.of_type("pulumi:providers:kubernetes")
    needed = {"prompt2prod-aks", "prompt2prod-user", "prompt2prod-deployer-admin"}
    assert {result.named(name).urn for name in needed} <= set(provider.depends_on)


def test_provider_waits_for_the_gpu_pool(render_stack: RenderStack) -> None:
    result = render_stack("prod", {"cluster": {"aks": {"gpuPool": {}}}, "ollama": {"gpu": {"enabled": True}}})
    (provider,) = result.of_type("pulumi:providers:kubernetes")
    assert result.named("prompt2prod-gpu").urn in provider.depends_on


def test_every_grant_is_its_least_privilege_role_on_one_resource(render_stack: RenderStack) -> None:
    """Never a role on a resource group or the subscription; each a role that does only what its identity needs:
    the kubelet pulls images, a workload reads its own secrets, Loki writes its blobs, the deployer administers
    the cluster. A role swapped between two of them (AcrPull on a vault secret) fails here."""
    result = render_stack("prod")
    assignments = result.of_type("azure-native:authorization:RoleAssignment")
    assert len(assignments) >= 5
    by_id = {f"{r.name}-id": r for r in result.resources}
    for assignment in assignments:
        scope = by_id.get(assignment.inputs["scope"])
        assert scope is not None, f"{assignment.name}: scope {assignment.inputs['scope']} is not one resource"
        role = assignment.inputs["roleDefinitionId"].rsplit("/", 1)[1]
        assert LEAST_PRIVILEGE.get(scope.type) == role, f"{assignment.name}: role {role} on a {scope.type}"
