"""The gateway's API keys: one per client, in the secret store, read by the `api-auth` policy, never in plaintext.

Guards: a policy naming a Secret that does not exist (every request 500) or that prod never syncs (the Key Vault
CSI driver copies secrets into a Kubernetes Secret only while a pod mounts them); a key revoked by redeploying the
gateway; the keys' holder reachable over the network.
"""

from __future__ import annotations

import json

import pytest

from infra.render import RenderResult
from tests.support import RenderStack

CLIENTS = {"gateway": {"apiClients": ["ci", "ops"]}}
KEYS = {"apiKeys": json.dumps({"ci": "KEYS-TEST-ci-5b1e"})}


def auth_policy(result: RenderResult) -> dict[str, object]:
    return result.named("gateway-auth").inputs["spec"]["apiKeyAuth"]


def test_dev_writes_one_secret_entry_per_client_and_the_policy_reads_that_secret(render_stack: RenderStack) -> None:
    result = render_stack("dev", CLIENTS, secrets=KEYS)
    secret = result.named("api-key-secrets")
    assert secret.inputs["metadata"]["namespace"] == "gateway"
    # `verify`, the deploy verification's client, always has a key too.
    assert secret.inputs["stringData"] == {"ci": "[secret]", "ops": "[secret]", "verify": "[secret]"}
    assert auth_policy(result)["secretRef"] == {"name": secret.inputs["metadata"]["name"]}
    assert secret.urn in result.named("gateway-auth").depends_on
    # `ops` and `verify` have no configured key: they get generated ones; `ci` keeps its own.
    assert [
        r.name
        for r in result.resources
        if r.type == "random:index/randomPassword:RandomPassword" and "api-key" in r.name
    ] == ["generated-api-key-ops", "generated-api-key-verify"]
    assert not [r for r in result.resources if r.name == "api-key-sync"]
    assert "KEYS-TEST" not in json.dumps(result.document())


def test_prod_keeps_the_keys_in_key_vault_and_a_pod_holds_the_mount_that_syncs_them(render_stack: RenderStack) -> None:
    result = render_stack("prod", CLIENTS, secrets=KEYS)
    vault_secrets = sorted(
        r.inputs["secretName"]
        for r in result.resources
        if r.type == "azure-native:keyvault:Secret" and r.name.startswith("api-key-")
    )
    assert vault_secrets == ["api-key-ci", "api-key-ops", "api-key-verify"]
    provider = result.named("api-key-secret-provider-class").inputs["spec"]
    [synced] = provider["secretObjects"]
    assert {d["key"] for d in synced["data"]} == {"ci", "ops", "verify"}
    assert auth_policy(result)["secretRef"] == {"name": synced["secretName"]}
    sync = result.named("api-key-sync")
    pod = sync.inputs["spec"]["template"]
    [volume] = pod["spec"]["volumes"]
    assert (
        volume["csi"]["volumeAttributes"]["secretProviderClass"]
        == result.named("api-key-secret-provider-class").inputs["metadata"]["name"]
    )
    assert pod["metadata"]["labels"]["azure.workload.identity/use"] == "true"
    account = result.named("api-key-sync-sa").inputs
    assert pod["spec"]["serviceAccountName"] == account["metadata"]["name"]
    assert "azure.workload.identity/client-id" in account["metadata"]["annotations"]
    assert sync.urn in result.named("gateway-auth").depends_on
    isolation = result.named("api-key-sync-netpol").inputs["spec"]
    assert isolation["policyTypes"] == ["Ingress", "Egress"]
    assert not {"ingress", "egress"} & set(isolation)
    assert "KEYS-TEST" not in json.dumps(result.document())


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_revoking_a_key_changes_the_keys_not_the_gateway(stack: str, render_stack: RenderStack) -> None:
    before = render_stack(stack, CLIENTS, secrets=KEYS)
    after = render_stack(stack, {"gateway": {"apiClients": ["ci"]}}, secrets=KEYS)
    for name in ("gateway-gateway", "gateway-proxy", "gateway-auth", "gateway-route-llm", "kgateway-controller"):
        assert before.named(name).inputs == after.named(name).inputs, f"{name} changed"
    if stack == "dev":
        assert set(after.named("api-key-secrets").inputs["stringData"]) == {"ci", "verify"}
    else:
        assert not [r for r in after.resources if r.name.startswith("api-key-ops")]
