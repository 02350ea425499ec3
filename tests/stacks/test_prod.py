"""The prod stack: AKS first, then the platform on it; nothing in-cluster before the cluster and its pools exist."""

from __future__ import annotations

from tests.support import RenderStack


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
