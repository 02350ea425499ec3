"""Who must reach each firewalled Azure resource of prod does, from the network and as the identity the contract
says (`infra.contract.azure`), and the internet reaches none of them.

Guards finding 2 of the first real deployment: the Premium registry denied every network without a private
endpoint, so AKS nodes (which the `AzureServices` bypass does not cover) sat in ImagePullBackOff and CI's push from
a hosted runner was refused; and the Loki storage account answered the whole internet.
"""

from __future__ import annotations

import yaml

from infra.registry.acr import BUILD_AGENT_POOL
from tests.support import WORKFLOWS
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
        "ACR build agents -> container registry: no such resource or use in the render",
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
    assert len(problems) == 2  # the build agents are refused the same way


def test_a_private_endpoint_without_dns_in_the_vnet_is_not_enough(stack_render: LoadStack) -> None:
    for missing in ("registry-dns-link", "registry-dns-records"):
        problems = azure_problems(stack_render("prod").broken(lambda r, m=missing: without(r, m)))
        assert len(problems) == 2, missing


def test_the_old_firewall_alone_is_caught(stack_render: LoadStack) -> None:
    """As first deployed: public endpoint on, default Deny, no IP or network rule, no private endpoint."""

    def edit(render: Render) -> None:
        azure(render, "registry-registry")["inputs"]["publicNetworkAccess"] = "Enabled"
        without(render, "registry-endpoint", "registry-build-agents")

    assert azure_problems(stack_render("prod").broken(edit)) == [
        "AKS nodes -> container registry registry-registry (kubelet): from prompt2prod-nodes-id: "
        "its firewall denies the client's network",
        "ACR build agents -> container registry registry-registry (its runs): no subnet of that client",
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


def test_ci_builds_on_the_agent_pool_the_program_creates() -> None:
    steps = yaml.safe_load((WORKFLOWS / "main.yml").read_text())["jobs"]["image"]["steps"]
    script = "\n".join(str(step.get("run", "")) for step in steps)
    assert f'az acr build --registry "$ACR_NAME" --agent-pool {BUILD_AGENT_POOL} ' in script
    # Nothing on the runner talks to the registry's (disabled) public endpoint.
    assert "az acr login" not in script
    assert not [s for s in steps if str(s.get("uses", "")).startswith("docker/")]
