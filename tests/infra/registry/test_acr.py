"""prod ACR: no shared credentials, nothing anonymous, retention on Premium, AcrPull for the kubelet, reached from
the VNet through a private endpoint and its private DNS, fed by `az acr import` (trusted services let through).

Guards: an admin user (a static password nobody rotates); anonymous pulls; the kubelet identity missing its pull
grant (ImagePullBackOff on every node) or getting it on the wrong scope or principal type; a registry whose public
endpoint is closed without a private endpoint and DNS in the cluster's VNet (again ImagePullBackOff); a registry
refusing trusted services (CI's import refused).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from infra.azure import ACR_PULL
from infra.config.registry import AcrSettings
from infra.registry.acr import (
    ContainerRegistry,
    ContainerRegistryArgs,
    registry_args,
    registry_name,
)
from infra.render import RenderResult
from tests.support.render import AZURE, KUBELET, SUBSCRIPTION, render_component


def args(**settings: Any) -> ContainerRegistryArgs:
    return ContainerRegistryArgs(azure=AZURE, config=AcrSettings(**settings))


def render(registry_args_: ContainerRegistryArgs) -> RenderResult:
    def build(_: pulumi.ResourceOptions) -> dict[str, Any]:
        return {"loginServer": ContainerRegistry("registry", registry_args_).login_server}

    return render_component(build, stack="prod")


def test_registry_name_is_alphanumeric_with_the_suffix() -> None:
    assert registry_name("prompt2prod-prod", "a1b2c3") == "prompt2prodproda1b2c3"
    assert len(registry_name("x" * 80, "a1b2c3")) == 50


def test_registry_name_too_short_is_refused() -> None:
    with pytest.raises(ValueError, match="5 to 50"):
        registry_name("-", "ab")


def test_basic_sku_has_no_premium_only_settings() -> None:
    built = registry_args(args(sku="Basic", public_network_access=True), "name")
    assert built.policies is None
    assert built.network_rule_set is None
    assert built.zone_redundancy == "Disabled"
    assert built.admin_user_enabled is False
    assert built.anonymous_pull_enabled is False


def test_premium_registry_is_locked_down_and_private() -> None:
    registry = render(args()).named("registry-registry").inputs
    assert registry["adminUserEnabled"] is False
    assert registry["anonymousPullEnabled"] is False
    assert registry["sku"] == {"name": "Premium"}
    assert registry["zoneRedundancy"] == "Enabled"
    assert registry["policies"]["retentionPolicy"] == {"days": 30, "status": "enabled"}
    assert registry["publicNetworkAccess"] == "Disabled"
    assert registry["networkRuleSet"] == {"defaultAction": "Deny", "ipRules": []}
    # ACR's own import is a trusted service: CI's only way in.
    assert registry["networkRuleBypassOptions"] == "AzureServices"


def test_an_opened_public_endpoint_admits_only_the_allowed_ranges() -> None:
    opened = args(public_network_access=True, allowed_ip_ranges=["198.51.100.0/24"])
    registry = render(opened).named("registry-registry").inputs
    assert registry["publicNetworkAccess"] == "Enabled"
    assert registry["networkRuleSet"] == {
        "defaultAction": "Deny",
        "ipRules": [{"action": "Allow", "iPAddressOrRange": "198.51.100.0/24"}],
    }


def test_the_vnet_reaches_the_registry_through_a_private_endpoint_and_its_dns_zone() -> None:
    result = render(args())
    endpoint = result.named("registry-endpoint").inputs
    assert endpoint["subnet"]["id"] == AZURE.private_endpoint_subnet_id
    assert endpoint["privateLinkServiceConnections"] == [
        {"name": "registry", "privateLinkServiceId": "registry-registry-id", "groupIds": ["registry"]}
    ]
    assert result.named("registry-dns").inputs["privateZoneName"] == "privatelink.azurecr.io"
    link = result.named("registry-dns-link").inputs
    assert (link["privateZoneName"], link["virtualNetwork"], link["registrationEnabled"]) == (
        "privatelink.azurecr.io",
        {"id": AZURE.virtual_network_id},
        False,
    )
    records = result.named("registry-dns-records").inputs
    assert records["privateEndpointName"] == "registry-endpoint"
    assert records["privateDnsZoneConfigs"] == [{"name": "registry", "privateDnsZoneId": "registry-dns-id"}]


def test_basic_registry_has_no_private_endpoint() -> None:
    result = render(args(sku="Basic", public_network_access=True))
    assert not [r for r in result.resources if r.type.startswith(("azure-native:network", "azure-native:privatedns"))]


def test_registry_name_comes_from_the_random_suffix() -> None:
    result = render(args())
    suffix = result.named("registry-suffix")
    assert suffix.inputs["byteLength"] == 3
    name = result.named("registry-registry").inputs["registryName"]
    assert name.startswith("prompt2prod")
    assert name.isalnum()
    assert result.outputs["loginServer"] == f"{name}.azurecr.io"


def test_kubelet_identity_gets_acr_pull_on_this_registry_only() -> None:
    result = render(args())
    grant = result.named("registry-kubelet-acrpull").inputs
    assert grant["principalId"] == KUBELET
    assert grant["principalType"] == "ServicePrincipal"
    assert grant["roleDefinitionId"] == (
        f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{ACR_PULL}"
    )
    assert grant["scope"] == "registry-registry-id"  # the registry's id as the mocks hand it out
