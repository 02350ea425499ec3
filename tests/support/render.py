"""Running one component (or a few) under the mocks: `render_component`, and a fake AKS `AzureScope` for the prod
components built next to the cluster."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra.cluster.handle import AzureScope
from infra.render import RenderResult, run_program
from tests.support import stack_input

Build = Callable[[pulumi.ResourceOptions], Mapping[str, Any] | None]

SUBSCRIPTION = "00000000-0000-0000-0000-00000000aaaa"
TENANT = "00000000-0000-0000-0000-00000000bbbb"
VNET = "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet"
SUBNET = f"{VNET}/subnets/nodes"
ISSUER = "https://westeurope.oic.prod-aks.azure.com/tenant/issuer/"
KUBELET = "11111111-1111-1111-1111-111111111111"
AZURE = AzureScope(
    subscription_id=SUBSCRIPTION,
    tenant_id=TENANT,
    resource_group_name="rg",
    location="westeurope",
    node_subnet_id=SUBNET,
    virtual_network_id=VNET,
    private_endpoint_subnet_id=f"{VNET}/subnets/endpoints",
    oidc_issuer_url=ISSUER,
    kubelet_identity_object_id=KUBELET,
)
"""What an AKS cluster hands to ACR, Key Vault and Loki's storage, as plain values."""


def render_component(
    build: Build,
    *,
    stack: str = "dev",
    overrides: Mapping[str, Any] | None = None,
    secrets: Mapping[str, str] | None = None,
) -> RenderResult:
    """Run `build(opts)` as the whole program, with `stack`'s committed config (plus `overrides` and `secrets`) set.

    `opts` carries a bare Kubernetes provider (`providers=[...]`); Azure-only components may ignore it. What `build`
    returns becomes the program's outputs (`result.outputs`).
    """
    given = stack_input(stack, overrides, secrets)

    def program() -> dict[str, pulumi.Output[Any]]:
        provider = k8s.Provider("test-k8s", kubeconfig="{}")
        outputs = build(pulumi.ResourceOptions(providers=[provider])) or {}
        return {key: pulumi.Output.from_input(value) for key, value in outputs.items()}

    return run_program(stack, given.values, given.secret_keys, program=program)
