"""Azure reachability of prod's firewalled resources, checked against `infra.contract.azure` on the render.

Network: a client in a subnet reaches a resource through a private endpoint of that resource (right sub-resource,
in the client's VNet) whose DNS zone group writes into the service's `privatelink` zone, linked to the client's
VNet; otherwise only through the public endpoint: not disabled, and either no firewall (`Allow`), a virtual network
rule for the client's subnet (which has the service's service endpoint), or, for a client with a public address and
no service endpoint, an IP rule containing it. A trusted Azure service (the registry's own import) reaches a
network-restricted registry only when its network rules let trusted services bypass them. Identity: a role
assignment of the needed role to the client's identity, on the resource (or, for Key Vault, on each secret it
reads).

In the render, Azure ids and names are the mocks' (`infra.render.mocks`): a resource's id is `<name>-id`, and its
other outputs are what `PlatformMocks` computes from its inputs, exactly as the program read them back.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

import yaml
from pulumi.runtime.mocks import MockResourceArgs

from infra.azure import CLIENT_ID_ANNOTATION
from infra.contract.azure import ALLOWED_ACCESS, DENIED_ACCESS, AzureAccess
from infra.contract.flows import INTERNET_CLIENT
from infra.registry.acr import IMPORT_BYPASS
from infra.render.mocks import PlatformMocks
from tests.support.platform.model import Object, Render


@dataclass(frozen=True)
class Service:
    type: str
    group: str
    """The private endpoint's sub-resource (`groupIds`)."""
    zone: str
    """The private DNS zone its endpoints are resolved in."""
    service_endpoint: str | None
    """The subnet service endpoint its virtual network rules need (None: it has no virtual network rules)."""


SERVICES: dict[str, Service] = {
    "container registry": Service("containerregistry:Registry", "registry", "privatelink.azurecr.io", None),
    "key vault": Service("keyvault:Vault", "vault", "privatelink.vaultcore.azure.net", "Microsoft.KeyVault"),
    "Loki storage": Service("storage:StorageAccount", "blob", "privatelink.blob.core.windows.net", "Microsoft.Storage"),
}


def resource_id(resource: Object) -> str:
    return f"{resource['name']}-id"


def outputs(resource: Object) -> dict[str, Any]:
    """The resource's outputs as the mocks handed them to the program."""
    args = MockResourceArgs(resource["type"], resource["name"], resource["inputs"])
    return PlatformMocks().new_resource(args)[1]


def _by_output(render: Render, type_token: str, key: str, value: Any) -> Object | None:
    return next((r for r in render.azure(type_token) if outputs(r).get(key) == value), None)


def _firewall(service: Service, resource: Object) -> tuple[bool, str, list[str], list[str]]:
    """(public endpoint enabled, default action, subnet ids of virtual network rules, IP rules) of a resource."""
    inputs = resource["inputs"]
    if service.type == "keyvault:Vault":
        properties = inputs.get("properties", {})
        acls = properties.get("networkAcls") or {}
        vnet = [rule["id"] for rule in acls.get("virtualNetworkRules", [])]
        ips = [rule["value"] for rule in acls.get("ipRules", [])]
        return properties.get("publicNetworkAccess") != "Disabled", acls.get("defaultAction", "Allow"), vnet, ips
    rules = inputs.get("networkRuleSet") or {}
    vnet = [rule["virtualNetworkResourceId"] for rule in rules.get("virtualNetworkRules", [])]
    ips = [rule.get("iPAddressOrRange", "") for rule in rules.get("ipRules", [])]
    return inputs.get("publicNetworkAccess") != "Disabled", rules.get("defaultAction", "Allow"), vnet, ips


def _vnet_of(render: Render, subnet_id: str) -> str | None:
    subnet = next((s for s in render.azure("network:Subnet") if resource_id(s) == subnet_id), None)
    if subnet is None:
        return None
    vnet = _by_output(render, "network:VirtualNetwork", "name", subnet["inputs"]["virtualNetworkName"])
    return resource_id(vnet) if vnet else None


def _private_path(render: Render, service: Service, target: Object, vnet_id: str) -> bool:
    for endpoint in render.azure("network:PrivateEndpoint"):
        connections = endpoint["inputs"].get("privateLinkServiceConnections", [])
        if not any(
            c.get("privateLinkServiceId") == resource_id(target) and service.group in c.get("groupIds", [])
            for c in connections
        ):
            continue
        if _vnet_of(render, endpoint["inputs"]["subnet"]["id"]) != vnet_id:
            continue
        name = outputs(endpoint).get("name")
        zone_ids = {
            config["privateDnsZoneId"]
            for group in render.azure("network:PrivateDnsZoneGroup")
            if group["inputs"]["privateEndpointName"] == name
            for config in group["inputs"].get("privateDnsZoneConfigs", [])
        }
        for zone in render.azure("privatedns:PrivateZone"):
            if resource_id(zone) not in zone_ids or zone["inputs"].get("privateZoneName") != service.zone:
                continue
            if any(
                link["inputs"]["privateZoneName"] == outputs(zone)["name"]
                and link["inputs"].get("virtualNetwork", {}).get("id") == vnet_id
                for link in render.azure("privatedns:VirtualNetworkLink")
            ):
                return True
    return False


def network_refusal(
    render: Render, service: Service, target: Object, subnet_id: str | None, address: str
) -> str | None:
    """None when a client in `subnet_id` (None: outside Azure, at `address`) reaches `target`, else why not."""
    vnet_id = _vnet_of(render, subnet_id) if subnet_id else None
    if vnet_id and _private_path(render, service, target, vnet_id):
        return None
    public, default, vnet_rules, ip_rules = _firewall(service, target)
    if not public:
        return "its public endpoint is disabled and no private endpoint with DNS serves the client's VNet"
    if default == "Allow":
        return None
    subnet = next((s for s in render.azure("network:Subnet") if resource_id(s) == subnet_id), None)
    endpoints = {e["service"] for e in (subnet or {}).get("inputs", {}).get("serviceEndpoints", [])}
    if subnet is not None and service.service_endpoint in endpoints:
        return None if subnet_id in vnet_rules else "no virtual network rule admits the client's subnet"
    if subnet is None and any(ipaddress.ip_address(address) in ipaddress.ip_network(r) for r in ip_rules if r):
        return None
    return "its firewall denies the client's network"


def _has_role(render: Render, principal: str, role: str, scopes: set[str]) -> bool:
    return any(
        a["inputs"]["principalId"] == principal
        and a["inputs"]["roleDefinitionId"].endswith(f"/{role}")
        and a["inputs"]["scope"] in scopes
        for a in render.azure("authorization:RoleAssignment")
    )


def _identity_by_client_id(render: Render, client_id: str) -> str | None:
    identity = _by_output(render, "managedidentity:UserAssignedIdentity", "clientId", client_id)
    return outputs(identity)["principalId"] if identity else None


def _grants(render: Render, access: AzureAccess) -> list[tuple[Object, str | None, str]]:
    """(resource, principal the role must be granted to or None, what) for each use of the resource in this access."""
    role = access.role or ""
    if access.resource == "container registry":
        registries = render.azure("containerregistry:Registry")
        clusters = render.azure("containerservice:ManagedCluster")
        if access.identity == "kubelet":
            if len(clusters) != 1:
                return []
            kubelet = outputs(clusters[0])["identityProfile"]["kubeletidentity"]["objectId"]
            return [
                (r, kubelet if _has_role(render, kubelet, role, {resource_id(r)}) else None, "kubelet")
                for r in registries
            ]
        # Granted by hand (docs/delivery.md): only the network path is the program's.
        return [(r, "deploy identity", "az acr import") for r in registries]
    if access.resource == "key vault":
        found = []
        for spc in render.of_kind("SecretProviderClass"):
            parameters = spc["spec"]["parameters"]
            vault = _by_output(render, "keyvault:Vault", "name", parameters["keyvaultName"])
            principal = _identity_by_client_id(render, parameters["clientID"])
            if vault is None or principal is None:
                continue
            names = [yaml.safe_load(o)["objectName"] for o in yaml.safe_load(parameters["objects"])["array"]]
            secrets = {resource_id(s) for s in render.azure("keyvault:Secret") if s["inputs"]["secretName"] in names}
            granted = len(secrets) == len(names) and all(_has_role(render, principal, role, {s}) for s in secrets)
            found.append((vault, principal if granted else None, f"SecretProviderClass {spc['metadata']['name']}"))
        return found
    loki = render.release("loki")
    storage = (loki or {}).get("values", {}).get("loki", {}).get("storage", {})
    account = _by_output(render, "storage:StorageAccount", "name", storage.get("azure", {}).get("accountName"))
    client_id = (
        (loki or {}).get("values", {}).get("serviceAccount", {}).get("annotations", {}).get(CLIENT_ID_ANNOTATION)
    )
    principal = _identity_by_client_id(render, client_id) if client_id else None
    if account is None:
        return []
    granted = principal is not None and _has_role(render, principal, role, {resource_id(account)})
    return [(account, principal if granted else None, "Loki")]


def _client_subnets(render: Render, access: AzureAccess, target: Object) -> list[str]:
    if access.client == "AKS nodes":
        profiles = [
            p for c in render.azure("containerservice:ManagedCluster") for p in c["inputs"]["agentPoolProfiles"]
        ]
        subnets = {p["vnetSubnetID"] for p in profiles}
        return sorted(subnets | {p["inputs"]["vnetSubnetID"] for p in render.azure("containerservice:AgentPool")})
    raise ValueError(f"{access.client} reaches Azure from no subnet")


def trusted_service_refusal(target: Object) -> str | None:
    """None when a trusted Azure service reaches the registry: it is not network-restricted, or lets them bypass."""
    public, default, _, _ = _firewall(SERVICES["container registry"], target)
    if public and default == "Allow":
        return None
    if target["inputs"].get("networkRuleBypassOptions", IMPORT_BYPASS) != IMPORT_BYPASS:
        return "its network rules refuse trusted services, so `az acr import` fails"
    return None


def azure_problems(render: Render) -> list[str]:
    problems = []
    for access in ALLOWED_ACCESS:
        service = SERVICES[access.resource]
        uses = _grants(render, access)
        if not uses:
            problems.append(f"{access.client} -> {access.resource}: no such resource or use in the render")
        for target, principal, what in uses:
            where = f"{access.client} -> {access.resource} {target['name']} ({what})"
            if principal is None:
                problems.append(f"{where}: the identity is not granted the role it needs")
            if access.client == "ACR import":
                refusal = trusted_service_refusal(target)
                if refusal:
                    problems.append(f"{where}: {refusal}")
                continue
            subnets = _client_subnets(render, access, target)
            if not subnets:
                problems.append(f"{where}: no subnet of that client")
            for subnet in subnets:
                refusal = network_refusal(render, service, target, subnet, "")
                if refusal:
                    problems.append(f"{where}: from {subnet}: {refusal}")
    for access in DENIED_ACCESS:
        service = SERVICES[access.resource]
        for target in render.azure(service.type):
            if network_refusal(render, service, target, None, str(INTERNET_CLIENT.address)) is None:
                problems.append(f"{access.client} reaches {access.resource} {target['name']}")
    return problems
