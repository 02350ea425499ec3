"""`ContainerRegistry` — Azure Container Registry for prod, pulled from by the AKS kubelet identity.

Creates:
- a `RandomId` suffix, because registry names are global across Azure and may contain letters and digits only;
- the registry: admin user disabled (no shared password exists), anonymous pull disabled (every pull is by an
  Entra ID identity holding a registry role); on Premium also zone redundancy, a retention policy that purges
  untagged manifests, and a network rule set that denies every address not in `allowedIpRanges` (the other SKUs
  have no firewall: the registry is then reachable from the internet, but only with Entra ID credentials);
- an `AcrPull` role assignment for the AKS kubelet identity, scoped to this registry only;
- on Premium, the way the cluster's VNet reaches it (the AKS baseline): a private endpoint in the private endpoint
  subnet, the `privatelink.azurecr.io` private DNS zone linked to the VNet, and the endpoint's DNS zone group, which
  writes the zone's A records for the registry and its regional data endpoint. Nodes resolve
  `<name>.azurecr.io` to the endpoint's address and pull through it; with `publicNetworkAccess` false (the default)
  nothing else reaches the registry's data plane.

Images get in without anyone reaching it: CI builds and pushes to GHCR, then `az acr import` (an Azure Resource
Manager call) has ACR copy the attested digest from there itself. ACR counts as a trusted service of its own
registry for that, which is why the trusted-services bypass stays on (`IMPORT_BYPASS`).

Imports `pulumi_azure_native` submodules only; nothing on the dev path imports this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import authorization, containerregistry, network, privatedns

from infra.azure import ACR_PULL, role_definition_id
from infra.cluster.azure_names import random_suffixed_name
from infra.cluster.handle import AzureScope
from infra.config.registry import AcrSettings

IMPORT_BYPASS = "AzureServices"
"""`networkRuleBypassOptions` that lets `az acr import` into a registry restricted to its private endpoint (with
`None`, import fails: learn.microsoft.com/azure/container-registry/allow-access-trusted-services)."""
PRIVATE_DNS_ZONE = "privatelink.azurecr.io"
# Private DNS zones are global resources.
GLOBAL = "Global"


@dataclass(frozen=True, kw_only=True)
class ContainerRegistryArgs:
    azure: AzureScope
    """The AKS cluster's: its kubelet identity pulls the images."""
    config: AcrSettings
    """SKU, retention, network access and zone redundancy (`registry.acr`)."""
    name_prefix: str = "prompt2prod"
    tags: dict[str, str] = field(default_factory=dict)


def registry_name(prefix: str, suffix: str) -> str:
    """Letters and digits only, 5-50 characters, globally unique thanks to the random suffix."""
    cleaned = re.sub(r"[^a-z0-9]", "", prefix.lower())[: 50 - len(suffix)]
    name = f"{cleaned}{suffix}"
    if not 5 <= len(name) <= 50:
        raise ValueError(f"registry name {name!r} must be 5 to 50 letters and digits")
    return name


def registry_args(args: ContainerRegistryArgs, name: pulumi.Input[str]) -> containerregistry.RegistryArgs:
    """The registry's security and retention settings, by SKU (pure: tested without mocks)."""
    config = args.config
    premium = config.sku == "Premium"
    return containerregistry.RegistryArgs(
        registry_name=name,
        resource_group_name=args.azure.resource_group_name,
        location=args.azure.location,
        sku=containerregistry.SkuArgs(name=config.sku),
        admin_user_enabled=False,
        anonymous_pull_enabled=False,
        public_network_access="Enabled" if config.public_network_access else "Disabled",
        # Trusted Azure services still reach a restricted registry: ACR's own import (CI's only way in) and
        # Defender's image scanning.
        network_rule_bypass_options=IMPORT_BYPASS,
        policies=containerregistry.PoliciesArgs(
            retention_policy=containerregistry.RetentionPolicyArgs(days=config.retention_days, status="enabled")
        )
        if premium
        else None,
        zone_redundancy=("Enabled" if config.zone_redundancy else "Disabled") if premium else None,
        network_rule_set=containerregistry.NetworkRuleSetArgs(
            default_action="Deny",
            ip_rules=[
                containerregistry.IPRuleArgs(i_p_address_or_range=str(cidr), action="Allow")
                for cidr in config.allowed_ip_ranges
            ],
        )
        if premium
        else None,
        tags=args.tags,
    )


class ContainerRegistry(pulumi.ComponentResource):
    login_server: pulumi.Output[str]
    registry_id: pulumi.Output[str]
    ready: list[pulumi.Resource]
    """What must exist before nodes can pull: the pull grant, and on Premium the private endpoint and its DNS."""

    def __init__(self, name: str, args: ContainerRegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("prompt2prod:index:ContainerRegistry", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        registry = containerregistry.Registry(
            f"{name}-registry",
            registry_args(args, random_suffixed_name(name, args.name_prefix, registry_name, child)),
            opts=child,
        )
        pull = authorization.RoleAssignment(
            f"{name}-kubelet-acrpull",
            principal_id=args.azure.kubelet_identity_object_id,
            principal_type="ServicePrincipal",
            role_definition_id=role_definition_id(args.azure.subscription_id, ACR_PULL),
            scope=registry.id,
            description="AKS kubelet identity pulls platform images",
            opts=child,
        )
        self.ready = [pull]
        if args.config.sku == "Premium":
            self.ready += self._private_endpoint(name, args, registry)
        self.login_server = registry.login_server
        self.registry_id = registry.id
        self.register_outputs({"login_server": self.login_server, "registry_id": self.registry_id})

    def _private_endpoint(
        self, name: str, args: ContainerRegistryArgs, registry: containerregistry.Registry
    ) -> list[pulumi.Resource]:
        """The private endpoint in the VNet and the private DNS that makes `<name>.azurecr.io` resolve to it."""
        child = pulumi.ResourceOptions(parent=self)
        azure = args.azure
        endpoint = network.PrivateEndpoint(
            f"{name}-endpoint",
            resource_group_name=azure.resource_group_name,
            location=azure.location,
            subnet=network.SubnetArgs(id=azure.private_endpoint_subnet_id),
            private_link_service_connections=[
                network.PrivateLinkServiceConnectionArgs(
                    name="registry", private_link_service_id=registry.id, group_ids=["registry"]
                )
            ],
            tags=args.tags,
            opts=child,
        )
        zone = privatedns.PrivateZone(
            f"{name}-dns",
            private_zone_name=PRIVATE_DNS_ZONE,
            resource_group_name=azure.resource_group_name,
            location=GLOBAL,
            tags=args.tags,
            opts=child,
        )
        link = privatedns.VirtualNetworkLink(
            f"{name}-dns-link",
            private_zone_name=zone.name,
            resource_group_name=azure.resource_group_name,
            location=GLOBAL,
            virtual_network=privatedns.SubResourceArgs(id=azure.virtual_network_id),
            # The zone only answers for the registry's records; VMs must not register their names in it.
            registration_enabled=False,
            tags=args.tags,
            opts=child,
        )
        records = network.PrivateDnsZoneGroup(
            f"{name}-dns-records",
            private_endpoint_name=endpoint.name,
            resource_group_name=azure.resource_group_name,
            private_dns_zone_group_name="default",
            private_dns_zone_configs=[network.PrivateDnsZoneConfigArgs(name="registry", private_dns_zone_id=zone.id)],
            opts=child,
        )
        return [endpoint, link, records]
