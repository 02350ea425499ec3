"""prod Loki storage under mocks: a locked-down account, a private container, keyless access by workload identity."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from infra.azure_roles import service_account_subject
from infra.observability.loki_storage import LokiAzureStorage, LokiAzureStorageArgs, storage_account_name
from infra.render import RenderResult, run_program
from infra.render.mocks import MOCK_SUBSCRIPTION_ID, _azure_guid

ISSUER = "https://westeurope.oic.prod-aks.azure.com/tenant/issuer/"


@pytest.fixture(scope="module")
def result() -> RenderResult:
    def program() -> dict[str, pulumi.Output[Any]]:
        storage = LokiAzureStorage(
            "loki-logs", LokiAzureStorageArgs(resource_group_name="rg", location="westeurope", oidc_issuer_url=ISSUER)
        )
        blob = storage.blob_storage()
        return {
            "account": pulumi.Output.from_input(blob.account_name),
            "client": pulumi.Output.from_input(blob.client_id),
        }

    return run_program("prod", {"prompt2prod:environment": "prod"}, frozenset(), program)


def test_account_is_private_keyless_and_protected(result: RenderResult) -> None:
    account = result.named("loki-logs-account")
    assert account.inputs["allowBlobPublicAccess"] is False
    assert account.inputs["allowSharedKeyAccess"] is False
    assert account.inputs["minimumTlsVersion"] == "TLS1_2"
    assert account.options["protect"] is True
    assert result.named("loki-logs-container").options["protect"] is True
    assert result.named("loki-logs-container").inputs["publicAccess"] == "None"


def test_identity_is_federated_with_lokis_service_account(result: RenderResult) -> None:
    federation = result.named("loki-logs-federation")
    assert federation.inputs["subject"] == "system:serviceaccount:monitoring:loki"
    assert federation.inputs["issuer"] == ISSUER
    assert federation.inputs["audiences"] == ["api://AzureADTokenExchange"]


def test_identity_may_read_and_write_blobs_of_this_account_only(result: RenderResult) -> None:
    assignment = result.named("loki-logs-blob-contributor")
    assert assignment.inputs["roleDefinitionId"] == (
        f"/subscriptions/{MOCK_SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/"
        "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
    )
    assert assignment.inputs["scope"] == "loki-logs-account-id"
    assert assignment.inputs["principalType"] == "ServicePrincipal"


def test_loki_gets_the_account_and_identity(result: RenderResult) -> None:
    assert result.outputs["account"] == storage_account_name("prompt2prod", "prod")
    assert result.outputs["client"] == _azure_guid("client-loki-logs-identity")


def test_account_name_is_a_valid_storage_account_name() -> None:
    name = storage_account_name("prompt2prod", "prod")
    assert 3 <= len(name) <= 24
    assert name.isalnum()
    assert name.islower()
    assert name != storage_account_name("prompt2prod", "prod2")
    assert service_account_subject("monitoring", "loki") == "system:serviceaccount:monitoring:loki"
