"""What the generator gets from the platform to deploy and publish generated projects.

Guards: the GitHub token reaching the pod as anything but a file (an env value, a plain Secret field), or in prod
outside Key Vault and the generator's own workload identity; publishing without a way out of the cluster, or a way
out without publishing (or the cloud key); the settings generated projects are built with (apps domain, registry,
Gateway, allowed owners and clients) drifting from what the platform really runs.
"""

from __future__ import annotations

import json
from typing import Any

from infra import topology
from infra.generator.specs import GITHUB_TOKEN_FILE
from infra.pod_spec import NON_PUBLIC_IPV4
from infra.render import RenderResult
from infra.render.mocks import _azure_guid
from infra.secrets.key_vault import vault_secret_name
from tests.support import RenderStack

TOKEN = "github_pat_GENERATOR-TEST-token-5c7e"
PUBLISHING = {
    "gateway": {"apiClients": ["default", "ci-bot"]},
    "generator": {"publishing": {"owners": ["acme-corp", "octocat"], "clients": ["ci-bot"]}},
}
MOUNT = "/var/run/secrets/prompt2prod"


def generator_env(result: RenderResult) -> dict[str, Any]:
    [container] = result.named("generator-deployment").inputs["spec"]["template"]["spec"]["containers"]
    return {var["name"]: var for var in container["env"]}


def egress_rules(result: RenderResult) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = result.named("generator-netpol").inputs["spec"]["egress"]
    return rules


def public_https(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [rule for rule in rules if any("ipBlock" in peer for peer in rule["to"])]


def test_dev_publishing_mounts_the_token_as_a_file_and_tells_the_app_where(render_stack: RenderStack) -> None:
    result = render_stack("dev", PUBLISHING, secrets={"githubToken": TOKEN})
    env = generator_env(result)
    assert env["GITHUB_TOKEN_FILE"] == {"name": "GITHUB_TOKEN_FILE", "value": f"{MOUNT}/{GITHUB_TOKEN_FILE}"}
    assert json.loads(env["PUBLISH_OWNERS"]["value"]) == ["acme-corp", "octocat"]
    assert json.loads(env["PUBLISH_CLIENTS"]["value"]) == ["ci-bot"]
    assert "GITHUB_TOKEN" not in env
    assert all("valueFrom" not in var for var in env.values())
    # The token is not the cloud key: cloud mode stays off.
    assert "CLOUD_LLM_API_KEY_FILE" not in env
    secret = result.named("generator-secrets")
    assert secret.inputs["stringData"] == {GITHUB_TOKEN_FILE: "[secret]"}
    assert TOKEN not in json.dumps(result.document())
    assert result.outputs["publishingEnabled"] is True


def test_without_publishing_there_is_no_token_no_owner_and_no_way_out(render_stack: RenderStack) -> None:
    result = render_stack("dev")
    env = generator_env(result)
    assert "GITHUB_TOKEN_FILE" not in env
    assert (env["PUBLISH_OWNERS"]["value"], env["PUBLISH_CLIENTS"]["value"]) == ("[]", "[]")
    assert public_https(egress_rules(result)) == []
    assert result.outputs["publishingEnabled"] is False


def test_publishing_opens_https_to_public_addresses_only(render_stack: RenderStack) -> None:
    rules = public_https(egress_rules(render_stack("dev", PUBLISHING, secrets={"githubToken": TOKEN})))
    assert rules == [
        {
            "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": list(NON_PUBLIC_IPV4)}}],
            "ports": [{"port": 443, "protocol": "TCP"}],
        }
    ]


def test_cloud_key_and_publishing_share_one_mount_and_one_egress_rule(render_stack: RenderStack) -> None:
    secrets = {"githubToken": TOKEN, "cloudLlmApiKey": "sk-GENERATOR-TEST"}
    result = render_stack("dev", PUBLISHING, secrets=secrets)
    env = generator_env(result)
    assert env["CLOUD_LLM_API_KEY_FILE"]["value"] == f"{MOUNT}/cloud-llm-api-key"
    assert env["GITHUB_TOKEN_FILE"]["value"] == f"{MOUNT}/{GITHUB_TOKEN_FILE}"
    assert sorted(result.named("generator-secrets").inputs["stringData"]) == ["cloud-llm-api-key", GITHUB_TOKEN_FILE]
    assert len(public_https(egress_rules(result))) == 1


def test_generated_projects_target_what_the_platform_runs(render_stack: RenderStack) -> None:
    for stack in ("dev", "prod"):
        result = render_stack(stack)
        env = {name: var["value"] for name, var in generator_env(result).items()}
        assert env["APPS_DOMAIN"] == result.outputs["appsDomain"]
        assert env["REGISTRY_SERVER"] == result.outputs["registryLoginServer"]
        gateway = result.of_type("kubernetes:gateway.networking.k8s.io/v1:Gateway")[0].inputs["metadata"]
        assert (env["GATEWAY_NAME"], env["GATEWAY_NAMESPACE"]) == (gateway["name"], gateway["namespace"])
        assert env["APPS_NAMESPACE"] == topology.NAMESPACE_APPS
    assert render_stack("dev").outputs["registryLoginServer"] == "localhost:30500"


def test_prod_reads_the_token_from_key_vault_with_the_generators_own_identity(render_stack: RenderStack) -> None:
    result = render_stack("prod", PUBLISHING, secrets={"githubToken": TOKEN})
    name = vault_secret_name("generator", GITHUB_TOKEN_FILE)
    [vault_secret] = [s for s in result.of_type("azure-native:keyvault:Secret") if s.inputs["secretName"] == name]
    assert vault_secret.inputs["properties"]["value"] == "[secret]"
    grants = [
        r
        for r in result.of_type("azure-native:authorization:RoleAssignment")
        if r.inputs["scope"] == f"{vault_secret.name}-id"
    ]
    # The generator's own federated identity (the mocks derive its ids from its name), nobody else's.
    assert [g.inputs["principalId"] for g in grants] == [_azure_guid("principal-generator-identity")]
    provider_class = result.named("generator-secret-provider-class")
    assert f"objectName: {name}" in provider_class.inputs["spec"]["parameters"]["objects"]
    assert generator_env(result)["GITHUB_TOKEN_FILE"]["value"] == f"{MOUNT}/{GITHUB_TOKEN_FILE}"
    assert TOKEN not in json.dumps(result.document())
