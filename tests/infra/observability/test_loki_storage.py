"""prod Loki storage under mocks: a locked-down account, a private container, keyless access by workload identity."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from infra.azure import service_account_subject
from infra.observability.loki_storage import LokiAzureStorage, LokiAzureStorageArgs, storage_account_name
from infra.render import RenderResult
from infra.render.mocks import _azure_guid
from tests.support.render import AZURE, ISSUER, SUBSCRIPTION, render_component


@pytest.fixture(scope="module")
def result() -> RenderResult:
    def build(_: pulumi.ResourceOptions) -> dict[str, Any]:
        blob = LokiAzureStorage("loki-logs", LokiAzureStorageArgs(azure=AZURE)).blob_storage()
        return {"account": blob.account_name, "client": blob.client_id}

    return render_component(build, stack="prod")


def test_account_is_private_keyless_and_protected(result: RenderResult) -> None:
    account = result.named("loki-logs-account")
    assert account.inputs["allowBlobPublicAccess"] is False
    assert account.inputs["allowSharedKeyAccess"] is False
    assert account.inputs["minimumTlsVersion"] == "TLS1_2"
    assert account.options["protect"] is True
    assert result.named("loki-logs-container").options["protect"] is True
    assert result.named("loki-logs-container").inputs["publicAccess"] == "None"


def test_account_firewall_admits_only_the_node_subnet(result: RenderResult) -> None:
    # Without network rules the account answered the whole internet (Entra ID still required).
    assert result.named("loki-logs-account").inputs["networkRuleSet"] == {
        "defaultAction": "Deny",
        "bypass": "AzureServices",
        "virtualNetworkRules": [{"virtualNetworkResourceId": AZURE.node_subnet_id, "action": "Allow"}],
    }


def test_identity_is_federated_with_lokis_service_account(result: RenderResult) -> None:
    federation = result.named("loki-logs-federation")
    assert federation.inputs["subject"] == "system:serviceaccount:monitoring:loki"
    assert federation.inputs["issuer"] == ISSUER
    assert federation.inputs["audiences"] == ["api://AzureADTokenExchange"]


def test_identity_may_read_and_write_blobs_of_this_account_only(result: RenderResult) -> None:
    assignment = result.named("loki-logs-blob-contributor")
    assert assignment.inputs["roleDefinitionId"] == (
        f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/"
        "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
    )
    assert assignment.inputs["scope"] == "loki-logs-account-id"
    assert assignment.inputs["principalType"] == "ServicePrincipal"


def test_loki_gets_the_account_and_identity(result: RenderResult) -> None:
    # Loki is configured with the account and the identity this component created, not with names of its own.
    assert result.outputs["account"] == result.named("loki-logs-account").inputs["accountName"]
    assert result.outputs["client"] == _azure_guid("client-loki-logs-identity")


def test_account_name_is_a_valid_storage_account_name() -> None:
    name = storage_account_name("prompt2prod", "prod")
    assert 3 <= len(name) <= 24
    assert name.isalnum()
    assert name.islower()
    assert name != storage_account_name("prompt2prod", "prod2")
    assert service_account_subject("monitoring", "loki") == "system:serviceaccount:monitoring:loki"
