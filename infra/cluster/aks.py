"""`AksCluster` — the prod Kubernetes cluster on Azure (AKS), built with `pulumi_azure_native` submodules only.

Creates:
- a resource group and a VNet with two subnets: the nodes' (service endpoints for Key Vault and Storage, whose
  firewalls admit it) and the private endpoints' (the container registry's);
- a Log Analytics workspace with a daily ingestion cap, for Container Insights (optional);
- the ManagedCluster: pinned Kubernetes version, Standard tier, Entra ID with Azure RBAC and local accounts disabled,
  workload identity + OIDC issuer, Azure CNI overlay with a network policy, API server authorized IP ranges or a
  private API server, auto-upgrade (patch + node OS) channels, Key Vault secrets provider with rotation, Azure Policy,
  and the system pool inline (CriticalAddonsOnly taint, autoscaling, zones, ephemeral OS disks, encryption at host,
  no public node IPs);
- the user pool and the optional GPU pool as separate `AgentPool` resources (editing inline pools rolls them all);
- maintenance windows for the cluster and node OS auto-upgrades;
- a role assignment making the identity that runs Pulumi "Azure Kubernetes Service RBAC Cluster Admin", so that the
  Kubernetes provider can deploy the platform (local accounts are disabled: there is no admin kubeconfig).

The kubeconfig is the cluster *user* kubeconfig, converted to `kubelogin` in the configured login mode; it is a secret.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Network
from typing import Any

import pulumi
import pulumi_azure_native.authorization as authorization
import pulumi_azure_native.containerservice as containerservice
import pulumi_azure_native.network as network
import pulumi_azure_native.operationalinsights as operationalinsights
import pulumi_azure_native.resources as resources
import yaml

from infra import topology
from infra.azure import AKS_RBAC_CLUSTER_ADMIN_ROLE, role_definition_id
from infra.cluster.handle import AzureScope, ClusterHandle
from infra.config.cluster import AksSettings, GpuPool, NodePool

STORAGE_CLASS = "managed-csi-premium"
# Subnet names (suffixes of `<cluster>-`): the nodes and the private endpoints.
NODE_SUBNET = "nodes"
PRIVATE_ENDPOINT_SUBNET = "endpoints"
SYSTEM_POOL_TAINT = "CriticalAddonsOnly=true:NoSchedule"
MAX_SURGE = "33%"


@dataclass(frozen=True, kw_only=True)
class AksClusterArgs:
    config: AksSettings
    secrets_rotation_poll_interval: str = "2m"
    """How often the Key Vault CSI driver re-reads mounted secrets (`secretStore.keyVault.rotationPollInterval`)."""
    tags: Mapping[str, str] = field(default_factory=dict)


def _pool_common(
    pool: NodePool | GpuPool, subnet_id: pulumi.Input[str], kubernetes_version: str, zones: Sequence[str]
) -> dict[str, Any]:
    """Settings every pool shares; the keys are those of `AgentPoolArgs` and `ManagedClusterAgentPoolProfileArgs`."""
    return {
        "vm_size": pool.vm_size,
        "count": pool.min_count,
        "enable_auto_scaling": True,
        "min_count": pool.min_count,
        "max_count": pool.max_count,
        "availability_zones": list(zones) or None,
        "max_pods": pool.max_pods,
        "os_type": containerservice.OSType.LINUX,
        "os_disk_type": containerservice.OSDiskType.EPHEMERAL,
        "os_disk_size_gb": pool.os_disk_size_gb,
        "enable_encryption_at_host": True,
        "enable_node_public_ip": False,
        "type": containerservice.AgentPoolType.VIRTUAL_MACHINE_SCALE_SETS,
        "vnet_subnet_id": subnet_id,
        "orchestrator_version": kubernetes_version,
    }


def system_pool_profile(
    settings: AksSettings, subnet_id: pulumi.Input[str]
) -> containerservice.ManagedClusterAgentPoolProfileArgs:
    """The inline system pool: only critical add-ons run there (platform workloads go to the user pool)."""
    return containerservice.ManagedClusterAgentPoolProfileArgs(
        name="system",
        mode=containerservice.AgentPoolMode.SYSTEM,
        node_taints=[SYSTEM_POOL_TAINT],
        node_labels={topology.NODE_POOL_LABEL: "system"},
        upgrade_settings=containerservice.AgentPoolUpgradeSettingsArgs(max_surge=MAX_SURGE),
        **_pool_common(settings.system_pool, subnet_id, settings.kubernetes_version, settings.system_pool.zones),
    )


def addon_profiles(
    rotation_poll_interval: str, workspace_id: pulumi.Input[str] | None
) -> dict[str, containerservice.ManagedClusterAddonProfileArgs]:
    addons = {
        "azureKeyvaultSecretsProvider": containerservice.ManagedClusterAddonProfileArgs(
            enabled=True,
            config={"enableSecretRotation": "true", "rotationPollInterval": rotation_poll_interval},
        ),
        "azurepolicy": containerservice.ManagedClusterAddonProfileArgs(enabled=True),
    }
    if workspace_id is not None:
        addons["omsagent"] = containerservice.ManagedClusterAddonProfileArgs(
            enabled=True,
            # Managed-identity authentication to the workspace instead of its shared key.
            config={"logAnalyticsWorkspaceResourceID": workspace_id, "useAADAuth": "true"},
        )
    return addons


def network_profile(settings: AksSettings) -> containerservice.ContainerServiceNetworkProfileArgs:
    """Azure CNI overlay: nodes get VNet addresses, pods an overlay range; Cilium policy needs the Cilium dataplane."""
    return containerservice.ContainerServiceNetworkProfileArgs(
        network_plugin=containerservice.NetworkPlugin.AZURE,
        network_plugin_mode=containerservice.NetworkPluginMode.OVERLAY,
        network_policy=settings.network_policy,
        network_dataplane="cilium" if settings.network_policy == "cilium" else "azure",
        pod_cidr=str(settings.pod_cidr),
        service_cidr=str(settings.service_cidr),
        dns_service_ip=str(settings.dns_service_ip),
        load_balancer_sku=containerservice.LoadBalancerSku.STANDARD,
        outbound_type=containerservice.OutboundType.LOAD_BALANCER,
    )


def maintenance_window(settings: AksSettings) -> containerservice.MaintenanceWindowArgs:
    window = settings.maintenance_window
    return containerservice.MaintenanceWindowArgs(
        schedule=containerservice.ScheduleArgs(
            weekly=containerservice.WeeklyScheduleArgs(day_of_week=window.day, interval_weeks=1)
        ),
        duration_hours=window.duration_hours,
        start_time=f"{window.start_hour:02d}:00",
        utc_offset="+00:00",
    )


def use_kubelogin_mode(kubeconfig: str, mode: str) -> str:
    """Point every `kubelogin get-token` user of an AKS exec kubeconfig at a non-interactive login mode.

    AKS hands out `--login devicecode` with its own client id; Pulumi cannot answer a device-code prompt, so the
    login mode is replaced and `--client-id` dropped (kubelogin then takes the identity from the mode: the Azure
    CLI session, workload identity or service principal environment variables, or the managed identity).
    """
    document: Any = yaml.safe_load(kubeconfig)
    for user in document.get("users") or []:
        exec_config = (user.get("user") or {}).get("exec") or {}
        if not str(exec_config.get("command", "")).endswith("kubelogin"):
            continue
        args: list[str] = list(exec_config.get("args") or [])
        kept: list[str] = []
        skip = False
        for arg in args:
            if skip:
                skip = False
                continue
            if arg in ("--login", "-l", "--client-id"):
                skip = True
                continue
            kept.append(arg)
        exec_config["args"] = [*kept, "--login", mode]
    return yaml.safe_dump(document, sort_keys=False)


class AksCluster(pulumi.ComponentResource):
    cluster_name: pulumi.Output[str]
    azure: AzureScope
    """Resource group, node subnet, OIDC issuer, kubelet identity, tenant and subscription."""
    cluster_id: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    """Secret: a kubelogin exec kubeconfig (needs `kubelogin` on the PATH)."""
    kubernetes_version: str
    has_gpu_nodes: bool

    def __init__(self, name: str, args: AksClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("prompt2prod:index:AksCluster", name, None, opts)
        self._cluster_name = name
        settings = args.config
        if settings.location is None:
            raise ValueError(f"AksCluster {name}: settings.location is required")
        self.kubernetes_version = settings.kubernetes_version
        self.has_gpu_nodes = settings.gpu_pool is not None
        # Azure tag names cannot contain "/": not the Kubernetes label keys.
        tags = {"part-of": topology.PART_OF, **args.tags}
        child = pulumi.ResourceOptions(parent=self)
        client = authorization.get_client_config_output(opts=pulumi.InvokeOutputOptions(parent=self))

        group = resources.ResourceGroup(f"{name}-rg", location=settings.location, tags=tags, opts=child)
        vnet = network.VirtualNetwork(
            f"{name}-vnet",
            resource_group_name=group.name,
            location=settings.location,
            address_space=network.AddressSpaceArgs(address_prefixes=[str(settings.vnet_cidr)]),
            tags=tags,
            opts=child,
        )
        # Key Vault and Loki storage admit the node subnet through its service endpoints; the registry is reached
        # through its private endpoint instead (ACR does not combine one with service endpoints).
        subnet = self._subnet(
            f"{name}-{NODE_SUBNET}",
            group,
            vnet,
            settings.node_subnet_cidr,
            service_endpoints=("Microsoft.KeyVault", "Microsoft.Storage"),
            after=[],
        )
        endpoints = self._subnet(
            f"{name}-{PRIVATE_ENDPOINT_SUBNET}", group, vnet, settings.private_endpoint_subnet_cidr, after=[subnet]
        )
        workspace_id: pulumi.Output[str] | None = None
        if settings.log_analytics.enabled:
            workspace = operationalinsights.Workspace(
                f"{name}-logs",
                resource_group_name=group.name,
                location=settings.location,
                sku=operationalinsights.WorkspaceSkuArgs(name="PerGB2018"),
                retention_in_days=settings.log_analytics.retention_days,
                workspace_capping=operationalinsights.WorkspaceCappingArgs(
                    daily_quota_gb=settings.log_analytics.daily_quota_gb
                ),
                tags=tags,
                opts=child,
            )
            workspace_id = workspace.id

        access = containerservice.ManagedClusterAPIServerAccessProfileArgs(
            authorized_ip_ranges=[str(cidr) for cidr in settings.api_server_authorized_ip_ranges] or None,
            enable_private_cluster=settings.private_cluster,
        )
        cluster = containerservice.ManagedCluster(
            f"{name}-aks",
            resource_group_name=group.name,
            location=settings.location,
            dns_prefix=name,
            kubernetes_version=settings.kubernetes_version,
            sku=containerservice.ManagedClusterSKUArgs(
                name=containerservice.ManagedClusterSKUName.BASE, tier=settings.sku_tier
            ),
            identity=containerservice.ManagedClusterIdentityArgs(
                type=containerservice.ResourceIdentityType.SYSTEM_ASSIGNED
            ),
            agent_pool_profiles=[system_pool_profile(settings, subnet.id)],
            enable_rbac=True,
            disable_local_accounts=True,
            aad_profile=containerservice.ManagedClusterAADProfileArgs(
                managed=True,
                enable_azure_rbac=True,
                tenant_id=client.tenant_id,
                admin_group_object_ids=[str(group_id) for group_id in settings.admin_group_object_ids] or None,
            ),
            oidc_issuer_profile=containerservice.ManagedClusterOIDCIssuerProfileArgs(enabled=True),
            security_profile=containerservice.ManagedClusterSecurityProfileArgs(
                workload_identity=containerservice.ManagedClusterSecurityProfileWorkloadIdentityArgs(enabled=True),
                image_cleaner=containerservice.ManagedClusterSecurityProfileImageCleanerArgs(
                    enabled=True, interval_hours=168
                ),
            ),
            network_profile=network_profile(settings),
            api_server_access_profile=access,
            auto_upgrade_profile=containerservice.ManagedClusterAutoUpgradeProfileArgs(
                upgrade_channel=settings.auto_upgrade_channel,
                node_os_upgrade_channel=settings.node_os_upgrade_channel,
            ),
            addon_profiles=addon_profiles(args.secrets_rotation_poll_interval, workspace_id),
            storage_profile=containerservice.ManagedClusterStorageProfileArgs(
                disk_csi_driver=containerservice.ManagedClusterStorageProfileDiskCSIDriverArgs(enabled=True),
                file_csi_driver=containerservice.ManagedClusterStorageProfileFileCSIDriverArgs(enabled=True),
                snapshot_controller=containerservice.ManagedClusterStorageProfileSnapshotControllerArgs(enabled=True),
            ),
            tags=tags,
            # The autoscaler owns the node count once the pool exists.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["agentPoolProfiles[0].count"]),
        )
        pools = [self._agent_pool(f"{name}-user", "user", settings.user_pool, settings, group, cluster, subnet, [])]
        if settings.gpu_pool is not None:
            # One node pool operation at a time: AKS refuses a second while the first is in progress.
            pools.append(
                self._agent_pool(f"{name}-gpu", "gpu", settings.gpu_pool, settings, group, cluster, subnet, pools)
            )
        for config_name in ("aksManagedAutoUpgradeSchedule", "aksManagedNodeOSUpgradeSchedule"):
            containerservice.MaintenanceConfiguration(
                f"{name}-{config_name}",
                resource_group_name=group.name,
                resource_name_=cluster.name,
                config_name=config_name,
                maintenance_window=maintenance_window(settings),
                opts=child,
            )
        admin = authorization.RoleAssignment(
            f"{name}-deployer-admin",
            principal_id=client.object_id,
            role_definition_id=role_definition_id(client.subscription_id, AKS_RBAC_CLUSTER_ADMIN_ROLE),
            scope=cluster.id,
            opts=child,
        )
        credentials = containerservice.list_managed_cluster_user_credentials_output(
            resource_group_name=group.name,
            resource_name=cluster.name,
            format="exec",
            opts=pulumi.InvokeOutputOptions(parent=self, depends_on=[admin, *pools]),
        )
        mode = settings.kubelogin_mode
        self.kubeconfig = pulumi.Output.secret(
            credentials.kubeconfigs.apply(
                lambda configs: use_kubelogin_mode(base64.b64decode(configs[0].value).decode(), mode)
            )
        )
        self.cluster_name = cluster.name
        self.cluster_id = cluster.id
        self.azure = AzureScope(
            subscription_id=client.subscription_id,
            tenant_id=client.tenant_id,
            resource_group_name=group.name,
            location=settings.location,
            node_subnet_id=subnet.id,
            virtual_network_id=vnet.id,
            private_endpoint_subnet_id=endpoints.id,
            oidc_issuer_url=cluster.oidc_issuer_profile.apply(
                lambda profile: profile.issuer_url if profile and profile.issuer_url else ""
            ),
            kubelet_identity_object_id=cluster.identity_profile.apply(
                lambda identities: (identities or {})["kubeletidentity"].object_id or ""
            ),
        )
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "cluster_id": self.cluster_id,
                "kubeconfig": self.kubeconfig,
                "resource_group_name": self.azure.resource_group_name,
                "node_subnet_id": self.azure.node_subnet_id,
                "oidc_issuer_url": self.azure.oidc_issuer_url,
                "kubelet_identity_object_id": self.azure.kubelet_identity_object_id,
            }
        )

    def _subnet(
        self,
        resource_name: str,
        group: resources.ResourceGroup,
        vnet: network.VirtualNetwork,
        cidr: IPv4Network,
        *,
        service_endpoints: Sequence[str] = (),
        after: list[network.Subnet],
    ) -> network.Subnet:
        # `after`: the VNet's other subnets. They are created one at a time: Azure refuses concurrent changes to a
        # VNet's subnets.
        return network.Subnet(
            resource_name,
            resource_group_name=group.name,
            virtual_network_name=vnet.name,
            address_prefix=str(cidr),
            service_endpoints=[network.ServiceEndpointPropertiesFormatArgs(service=s) for s in service_endpoints]
            or None,
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )

    def _agent_pool(
        self,
        resource_name: str,
        pool_name: str,
        pool: NodePool | GpuPool,
        settings: AksSettings,
        group: resources.ResourceGroup,
        cluster: containerservice.ManagedCluster,
        subnet: network.Subnet,
        after: list[containerservice.AgentPool],
    ) -> containerservice.AgentPool:
        gpu = isinstance(pool, GpuPool)
        # GPU sizes are scarce per zone: the GPU pool is not pinned to zones.
        zones = [] if isinstance(pool, GpuPool) else pool.zones
        return containerservice.AgentPool(
            resource_name,
            resource_group_name=group.name,
            resource_name_=cluster.name,
            agent_pool_name=pool_name,
            mode=containerservice.AgentPoolMode.USER,
            # GPU workloads (Ollama with `ollama.gpu.enabled`) select the GPU label and tolerate the taint.
            node_labels={
                topology.NODE_POOL_LABEL: pool_name,
                **({topology.GPU_NODE_LABEL: topology.GPU_NODE_LABEL_VALUE} if gpu else {}),
            },
            node_taints=[topology.GPU_TAINT] if gpu else None,
            upgrade_settings=containerservice.AgentPoolUpgradeSettingsArgs(max_surge=MAX_SURGE),
            **_pool_common(pool, subnet.id, settings.kubernetes_version, zones),
            # The autoscaler owns the node count once the pool exists.
            opts=pulumi.ResourceOptions(parent=self, depends_on=after, ignore_changes=["count"]),
        )

    def handle(self) -> ClusterHandle:
        return ClusterHandle(
            name=self._cluster_name,
            kind="aks",
            kubeconfig=self.kubeconfig,
            storage_class=STORAGE_CLASS,
            resource=self,
            kubernetes_version=self.kubernetes_version,
            has_gpu_nodes=self.has_gpu_nodes,
            azure=self.azure,
        )
