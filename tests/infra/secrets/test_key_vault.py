"""prod secrets: Key Vault locked down, each workload reading only its own secrets through its own identity.

Guards: a vault open to the internet or without purge protection; a secret value in plaintext; a federated
credential whose subject does not match the ServiceAccount (the pod's token exchange fails); a role granted on
the whole vault or to the wrong principal; a SecretProviderClass that forgets a requested secret, is applied
before its CRD exists, or mounts writable files.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_random as random
import pytest
import yaml

from infra.azure import CLIENT_ID_ANNOTATION, KEY_VAULT_SECRETS_USER
from infra.config.secret_store import KeyVaultSettings
from infra.render import RenderResult
from infra.render.mocks import _azure_guid
from infra.secrets.key_vault import (
    KeyVault,
    KeyVaultArgs,
    KeyVaultSecretStore,
    KeyVaultSecretStoreArgs,
    provider_objects,
    secret_provider_class_spec,
    vault_name,
    vault_secret_name,
)
from infra.secrets.store import SecretMount, WorkloadSecretsArgs
from tests.support.render import AZURE, ISSUER, SUBNET, SUBSCRIPTION, TENANT, render_component

VAULT_ARGS = KeyVaultArgs(
    azure=AZURE, config=KeyVaultSettings(soft_delete_retention_days=30, allowed_ip_ranges=["203.0.113.7/32"])
)


def render_workload(kubernetes_secret: bool = True) -> tuple[RenderResult, SecretMount]:
    mounts: list[SecretMount] = []

    def build(opts: pulumi.ResourceOptions) -> dict[str, Any]:
        cluster = random.RandomId("aks-ready", byte_length=1)
        vault = KeyVault("secrets", VAULT_ARGS)
        store = KeyVaultSecretStore(vault, KeyVaultSecretStoreArgs(azure=AZURE, cluster_ready=[cluster]))
        workload = pulumi.ComponentResource("test:index:Workload", "generator", opts=opts)
        mount = store.workload_secrets(
            "generator",
            WorkloadSecretsArgs(
                namespace="generator",
                service_account="generator",
                secrets={
                    "cloud-llm-api-key": pulumi.Output.secret("KV-MARKER-api-key"),
                    "db.password": pulumi.Output.secret("KV-MARKER-db"),
                },
                kubernetes_secret=kubernetes_secret,
            ),
            opts=pulumi.ResourceOptions(parent=workload),
        )
        mounts.append(mount)
        return {"vaultUri": vault.uri, "clientId": mount.service_account_annotations[CLIENT_ID_ANNOTATION]}

    return render_component(build, stack="prod"), mounts[0]


@pytest.fixture(scope="module")
def rendered() -> tuple[RenderResult, SecretMount]:
    return render_workload()


def test_vault_name_fits_azure_rules() -> None:
    assert vault_name("prompt2prod", "a1b2c3") == "prompt2prod-a1b2c3"
    assert vault_name("My_Very--Long.Cluster-Name-Here", "a1b2c3") == "my-very-long-clus-a1b2c3"
    assert len(vault_name("x" * 40, "a1b2c3")) <= 24


def test_vault_name_starting_with_a_digit_is_refused() -> None:
    with pytest.raises(ValueError, match="starting with a letter"):
        vault_name("2fast", "a1b2c3")


def test_vault_secret_names_use_hyphens_only() -> None:
    assert vault_secret_name("generator", "db.password") == "generator-db-password"
    with pytest.raises(ValueError, match="not a plain file name"):
        vault_secret_name("generator", "../etc/passwd")


def test_provider_objects_list_each_secret_with_its_file_name() -> None:
    document = yaml.safe_load(provider_objects({"api-key": "generator-api-key", "db.password": "generator-db"}))
    entries = [yaml.safe_load(item) for item in document["array"]]
    assert entries == [
        {"objectName": "generator-api-key", "objectType": "secret", "objectAlias": "api-key"},
        {"objectName": "generator-db", "objectType": "secret", "objectAlias": "db.password"},
    ]


def test_spec_syncs_a_kubernetes_secret_only_when_asked() -> None:
    common: dict[str, Any] = {"client_id": "c", "vault_name": "v", "tenant_id": "t", "objects": {"a": "w-a"}}
    assert "secretObjects" not in secret_provider_class_spec(**common, synced_secret_name=None)
    synced = secret_provider_class_spec(**common, synced_secret_name="w-secrets")["secretObjects"]
    assert synced == [{"secretName": "w-secrets", "type": "Opaque", "data": [{"objectName": "a", "key": "a"}]}]


def test_vault_uses_rbac_purge_protection_and_a_deny_by_default_firewall(
    rendered: tuple[RenderResult, SecretMount],
) -> None:
    result, _ = rendered
    properties = result.named("secrets-vault").inputs["properties"]
    assert properties["enableRbacAuthorization"] is True
    assert properties["enablePurgeProtection"] is True
    assert properties["enableSoftDelete"] is True
    assert properties["softDeleteRetentionInDays"] == 30
    assert properties["tenantId"] == TENANT
    assert properties["networkAcls"] == {
        "bypass": "AzureServices",
        "defaultAction": "Deny",
        "ipRules": [{"value": "203.0.113.7/32"}],
        "virtualNetworkRules": [{"id": SUBNET}],
    }
    assert result.outputs["vaultUri"].startswith("https://prompt2prod-")


def test_secret_values_are_written_as_secrets_only(rendered: tuple[RenderResult, SecretMount]) -> None:
    result, _ = rendered
    secrets = result.of_type("azure-native:keyvault:Secret")
    assert sorted(s.inputs["secretName"] for s in secrets) == ["generator-cloud-llm-api-key", "generator-db-password"]
    assert all(s.inputs["properties"] == {"contentType": "text/plain", "value": "[secret]"} for s in secrets)
    assert all(s.options["additionalSecretOutputs"] == ["properties"] for s in secrets)
    assert "KV-MARKER" not in json.dumps(result.document())


def test_federated_credential_trusts_the_workload_service_account(rendered: tuple[RenderResult, SecretMount]) -> None:
    result, _ = rendered
    federation = result.named("generator-federation").inputs
    assert federation["issuer"] == ISSUER
    assert federation["subject"] == "system:serviceaccount:generator:generator"
    assert federation["audiences"] == ["api://AzureADTokenExchange"]
    assert federation["resourceName"] == result.named("generator-identity").name


def test_identity_reads_only_its_own_secrets(rendered: tuple[RenderResult, SecretMount]) -> None:
    result, _ = rendered
    grants = result.of_type("azure-native:authorization:RoleAssignment")
    assert sorted(g.inputs["scope"] for g in grants) == ["generator-cloud-llm-api-key-id", "generator-db.password-id"]
    for grant in grants:
        assert grant.inputs["principalId"] == _azure_guid("principal-generator-identity")
        assert grant.inputs["principalType"] == "ServicePrincipal"
        assert grant.inputs["roleDefinitionId"].endswith(f"/roleDefinitions/{KEY_VAULT_SECRETS_USER}")
        assert grant.inputs["roleDefinitionId"].startswith(f"/subscriptions/{SUBSCRIPTION}/")


def test_secret_provider_class_lists_the_requested_secrets(rendered: tuple[RenderResult, SecretMount]) -> None:
    result, _ = rendered
    spc = result.named("generator-secret-provider-class")
    assert spc.type == "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass"
    assert spc.inputs["metadata"] == {"name": "generator-secrets", "namespace": "generator"}
    parameters = spc.inputs["spec"]["parameters"]
    assert spc.inputs["spec"]["provider"] == "azure"
    assert parameters["clientID"] == _azure_guid("client-generator-identity")
    assert parameters["tenantId"] == TENANT
    assert parameters["keyvaultName"] == result.named("secrets-vault").inputs["vaultName"]
    assert parameters["usePodIdentity"] == "false"
    objects = [yaml.safe_load(item) for item in yaml.safe_load(parameters["objects"])["array"]]
    assert {(o["objectAlias"], o["objectName"]) for o in objects} == {
        ("cloud-llm-api-key", "generator-cloud-llm-api-key"),
        ("db.password", "generator-db-password"),
    }
    assert spc.inputs["spec"]["secretObjects"][0]["secretName"] == "generator-secrets"


def test_secret_provider_class_waits_for_the_cluster(rendered: tuple[RenderResult, SecretMount]) -> None:
    result, _ = rendered
    spc = result.named("generator-secret-provider-class")
    assert result.named("aks-ready").urn in spc.depends_on
    assert spc.provider is not None
    assert "::test-k8s::" in spc.provider


def test_azure_resources_are_parented_to_the_workload(rendered: tuple[RenderResult, SecretMount]) -> None:
    result, _ = rendered
    workload = next(r for r in result.resources if r.type == "test:index:Workload")
    for name in ("generator-identity", "generator-federation", "generator-cloud-llm-api-key"):
        assert result.named(name).parent == workload.urn


def test_mount_is_a_read_only_csi_volume_with_workload_identity(rendered: tuple[RenderResult, SecretMount]) -> None:
    result, mount = rendered
    csi: Any = mount.volume.get("csi")
    assert csi["driver"] == "secrets-store.csi.k8s.io"
    assert csi["read_only"] is True
    assert csi["volume_attributes"] == {"secretProviderClass": "generator-secrets"}
    assert mount.volume_mount().get("read_only") is True
    assert mount.path("cloud-llm-api-key") == "/var/run/secrets/prompt2prod/cloud-llm-api-key"
    assert mount.pod_labels == {"azure.workload.identity/use": "true"}
    assert result.outputs["clientId"] == _azure_guid("client-generator-identity")
    assert mount.kubernetes_secret_name is not None


def test_no_kubernetes_secret_unless_asked() -> None:
    result, mount = render_workload(kubernetes_secret=False)
    assert mount.kubernetes_secret_name is None
    assert "secretObjects" not in result.named("generator-secret-provider-class").inputs["spec"]
