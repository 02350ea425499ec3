"""Who must reach each firewalled Azure resource of prod does, from the network and as the identity the contract
says (`infra.contract.azure`), and the internet reaches none of them.

Guards finding 2 of the first real deployment: the Premium registry denied every network without a private
endpoint, so AKS nodes (which the `AzureServices` bypass does not cover) sat in ImagePullBackOff and CI's push from
a hosted runner was refused; and the Loki storage account answered the whole internet. Images now get in through
`az acr import`, which ACR runs as a trusted service of its own: a registry refusing trusted services refuses it.
"""

from __future__ import annotations

from tests.support.platform import LoadStack
from tests.support.platform.azure import azure_problems
from tests.support.platform.model import Object, Render


def test_prod_reaches_its_registry_vault_and_storage_and_the_internet_does_not(stack_render: LoadStack) -> None:
    assert azure_problems(stack_render("prod")) == []


def test_a_workload_reading_key_vault_secrets_is_checked_too(stack_render: LoadStack) -> None:
    render = stack_render("prod", secrets={"cloudLlmApiKey": "PLATFORM-AZ-key"})
    names = {spc["metadata"]["name"] for spc in render.of_kind("SecretProviderClass")}
    assert names == {"api-key-secrets", "observability-grafana-secrets", "generator-secrets"}
    assert azure_problems(render) == []


def test_the_dev_render_has_no_azure_resource() -> None:
    assert azure_problems(Render("dev", [], [], {})) == [
        "AKS nodes -> container registry: no such resource or use in the render",
        "ACR import -> container registry: no such resource or use in the render",
        "AKS nodes -> key vault: no such resource or use in the render",
        "AKS nodes -> Loki storage: no such resource or use in the render",
    ]


def azure(render: Render, name: str) -> Object:
    return next(r for r in render.resources if r["name"] == name)


def without(render: Render, *names: str) -> None:
    render.resources = [r for r in render.resources if r["name"] not in names]


def test_a_registry_without_its_private_endpoint_refuses_the_nodes(stack_render: LoadStack) -> None:
    problems = azure_problems(stack_render("prod").broken(lambda r: without(r, "registry-endpoint")))
    nodes = "its public endpoint is disabled and no private endpoint with DNS serves the client's VNet"
    assert (
        f"AKS nodes -> container registry registry-registry (kubelet): from prompt2prod-nodes-id: {nodes}" in problems
    )
    assert len(problems) == 1


def test_a_private_endpoint_without_dns_in_the_vnet_is_not_enough(stack_render: LoadStack) -> None:
    for missing in ("registry-dns-link", "registry-dns-records"):
        problems = azure_problems(stack_render("prod").broken(lambda r, m=missing: without(r, m)))
        assert len(problems) == 1, missing


def test_the_old_firewall_alone_is_caught(stack_render: LoadStack) -> None:
    """As first deployed: public endpoint on, default Deny, no IP or network rule, no private endpoint."""

    def edit(render: Render) -> None:
        azure(render, "registry-registry")["inputs"]["publicNetworkAccess"] = "Enabled"
        without(render, "registry-endpoint")

    assert azure_problems(stack_render("prod").broken(edit)) == [
        "AKS nodes -> container registry registry-registry (kubelet): from prompt2prod-nodes-id: "
        "its firewall denies the client's network",
    ]


def test_a_registry_refusing_trusted_services_refuses_the_import(stack_render: LoadStack) -> None:
    broken = stack_render("prod").broken(
        lambda r: azure(r, "registry-registry")["inputs"].update(networkRuleBypassOptions="None")
    )
    assert azure_problems(broken) == [
        "ACR import -> container registry registry-registry (az acr import): "
        "its network rules refuse trusted services, so `az acr import` fails"
    ]


def test_firewalls_open_to_the_internet_are_caught(stack_render: LoadStack) -> None:
    def edit(render: Render) -> None:
        azure(render, "loki-logs-account")["inputs"].pop("networkRuleSet")
        vault = azure(render, "secrets-vault")["inputs"]["properties"]
        vault["networkAcls"]["ipRules"] = [{"value": "203.0.113.0/24"}]

    assert azure_problems(stack_render("prod").broken(edit)) == [
        "the internet reaches key vault secrets-vault",
        "the internet reaches Loki storage loki-logs-account",
    ]


def test_a_vault_or_account_without_the_node_subnet_rule_is_caught(stack_render: LoadStack) -> None:
    def edit(render: Render) -> None:
        azure(render, "secrets-vault")["inputs"]["properties"]["networkAcls"]["virtualNetworkRules"] = []
        azure(render, "prompt2prod-nodes")["inputs"]["serviceEndpoints"] = [{"service": "Microsoft.KeyVault"}]

    problems = azure_problems(stack_render("prod").broken(edit))
    assert problems == [
        *(
            f"AKS nodes -> key vault secrets-vault (SecretProviderClass {spc}): "
            "from prompt2prod-nodes-id: no virtual network rule admits the client's subnet"
            for spc in ("api-key-secrets", "observability-grafana-secrets")
        ),
        "AKS nodes -> Loki storage loki-logs-account (Loki): from prompt2prod-nodes-id: "
        "its firewall denies the client's network",
    ]


def test_an_identity_without_its_role_is_caught(stack_render: LoadStack) -> None:
    removed = ("registry-kubelet-acrpull", "observability-grafana-admin-password-reader", "loki-logs-blob-contributor")
    problems = azure_problems(stack_render("prod").broken(lambda r: without(r, *removed)))
    assert [p.split(": ", 1)[1] for p in problems] == ["the identity is not granted the role it needs"] * 3
