"""`KeyVault` — Azure Key Vault for prod, and `KeyVaultSecretStore`, the prod `SecretStore` on top of it.

`KeyVault` creates:
- a `RandomId` suffix (vault names are global, and a deleted name stays reserved for the soft-delete period);
- the vault: Azure RBAC authorization (no access policies), soft delete with the configured retention, purge
  protection on, and a firewall that denies by default and lets in only the AKS node subnet (a virtual network rule:
  the subnet needs the `Microsoft.KeyVault` service endpoint), trusted Azure services and `allowedIpRanges`.

Pulumi writes secrets through Azure Resource Manager (`Microsoft.KeyVault/vaults/secrets`), which the vault
firewall and data-plane roles do not apply to: `pulumi up` needs only Contributor on the resource group, and no
address of the machine running Pulumi has to be allowed. `allowedIpRanges` is for people and tools that read the
vault's data plane (`az keyvault secret show`).

`KeyVaultSecretStore.workload_secrets` creates, per workload:
- one vault secret per file (value from a Pulumi config secret or a `pulumi-random` result; never plaintext);
- a user-assigned identity, federated with the workload's ServiceAccount through the AKS OIDC issuer;
- a `Key Vault Secrets User` role assignment on each of those secrets only (not the whole vault);
- a `SecretProviderClass` (Secrets Store CSI driver, AKS add-on) that mounts them as files, optionally synced to
  a Kubernetes Secret.

Imports `pulumi_azure_native` submodules only; nothing on the dev path imports this module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml
from pulumi_azure_native import authorization, keyvault

from infra.azure import CLIENT_ID_ANNOTATION, KEY_VAULT_SECRETS_USER, USE_LABEL, role_definition_id
from infra.cluster.azure_names import random_suffixed_name
from infra.cluster.handle import AzureScope
from infra.config.secret_store import KeyVaultSettings
from infra.secrets.store import FILE_NAME, SecretMount, WorkloadSecretsArgs
from infra.secrets.workload_identity import workload_identity

CSI_DRIVER = "secrets-store.csi.k8s.io"
SECRET_PROVIDER_CLASS_API = "secrets-store.csi.x-k8s.io/v1"  # noqa: S105 - an API version


@dataclass(frozen=True, kw_only=True)
class KeyVaultArgs:
    azure: AzureScope
    """The AKS cluster's: its node subnet is the only network allowed through the firewall (besides
    `config.allowed_ip_ranges`)."""
    config: KeyVaultSettings
    """SKU, soft-delete retention and the firewall's allowed addresses (`secretStore.keyVault`)."""
    name_prefix: str = "prompt2prod"
    tags: Mapping[str, str] = field(default_factory=dict)


def vault_name(prefix: str, suffix: str) -> str:
    """3-24 letters, digits and single hyphens, starting with a letter: `<prefix>-<suffix>`."""
    cleaned = re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", prefix.lower())).strip("-")
    cleaned = cleaned[: 24 - len(suffix) - 1].rstrip("-")
    name = f"{cleaned}-{suffix}"
    if not re.fullmatch(r"[a-z][a-z0-9-]{1,22}[a-z0-9]", name):
        raise ValueError(f"Key Vault name {name!r} must be 3-24 letters, digits and hyphens, starting with a letter")
    return name


def vault_properties(args: KeyVaultArgs) -> keyvault.VaultPropertiesArgs:
    """The vault's security settings (pure: tested without mocks)."""
    return keyvault.VaultPropertiesArgs(
        tenant_id=args.azure.tenant_id,
        sku=keyvault.SkuArgs(family="A", name=keyvault.SkuName(args.config.sku)),
        enable_rbac_authorization=True,
        enable_soft_delete=True,
        soft_delete_retention_in_days=args.config.soft_delete_retention_days,
        enable_purge_protection=True,
        enabled_for_deployment=False,
        enabled_for_disk_encryption=False,
        enabled_for_template_deployment=False,
        public_network_access="Enabled",
        network_acls=keyvault.NetworkRuleSetArgs(
            default_action="Deny",
            bypass="AzureServices",
            virtual_network_rules=[keyvault.VirtualNetworkRuleArgs(id=args.azure.node_subnet_id)],
            ip_rules=[keyvault.IPRuleArgs(value=str(cidr)) for cidr in args.config.allowed_ip_ranges],
        ),
    )


class KeyVault(pulumi.ComponentResource):
    vault_name: pulumi.Output[str]
    vault_id: pulumi.Output[str]
    uri: pulumi.Output[str]

    def __init__(self, name: str, args: KeyVaultArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("prompt2prod:index:KeyVault", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        vault = keyvault.Vault(
            f"{name}-vault",
            vault_name=random_suffixed_name(name, args.name_prefix, vault_name, child),
            resource_group_name=args.azure.resource_group_name,
            location=args.azure.location,
            properties=vault_properties(args),
            tags=dict(args.tags),
            opts=child,
        )
        self.vault_name = vault.name
        self.vault_id = vault.id
        self.uri = vault.properties.apply(lambda p: p.vault_uri or "")
        self.register_outputs({"vault_name": self.vault_name, "vault_id": self.vault_id, "uri": self.uri})


def vault_secret_name(workload: str, file_name: str) -> str:
    """Key Vault secret names allow letters, digits and hyphens only: `<workload>-<file>` with `._` as `-`."""
    if not FILE_NAME.match(file_name):
        raise ValueError(f"{file_name!r} is not a plain file name (letters, digits, '.', '_', '-')")
    return re.sub(r"[^A-Za-z0-9-]", "-", f"{workload}-{file_name}")[:127]


def provider_objects(objects: Mapping[str, str]) -> str:
    """The Azure provider's `objects` parameter: a YAML document whose `array` holds one YAML string per secret.

    `objects` maps the file name in the pod (`objectAlias`) to the vault secret name (`objectName`).
    """
    entries = [
        yaml.safe_dump({"objectName": secret, "objectType": "secret", "objectAlias": alias}, sort_keys=False)
        for alias, secret in objects.items()
    ]
    return yaml.safe_dump({"array": entries}, sort_keys=False, default_style=None)


def secret_provider_class_spec(
    *,
    client_id: pulumi.Input[str],
    vault_name: pulumi.Input[str],
    tenant_id: pulumi.Input[str],
    objects: Mapping[str, str],
    synced_secret_name: str | None,
) -> dict[str, Any]:
    """`SecretProviderClass.spec` for workload identity (pure: tested without mocks)."""
    spec: dict[str, Any] = {
        "provider": "azure",
        "parameters": {
            "usePodIdentity": "false",
            "useVMManagedIdentity": "false",
            "clientID": client_id,
            "keyvaultName": vault_name,
            "tenantId": tenant_id,
            "objects": provider_objects(objects),
        },
    }
    if synced_secret_name is not None:
        spec["secretObjects"] = [
            {
                "secretName": synced_secret_name,
                "type": "Opaque",
                "data": [{"objectName": alias, "key": alias} for alias in objects],
            }
        ]
    return spec


@dataclass(frozen=True, kw_only=True)
class KeyVaultSecretStoreArgs:
    azure: AzureScope
    """The AKS cluster's: its OIDC issuer is what the federated credentials trust."""
    cluster_ready: Sequence[pulumi.Resource]
    """What installs the CSI driver (the AKS add-on): SecretProviderClasses wait for its CRD."""


class KeyVaultSecretStore:
    """prod: secrets in Key Vault, read by each workload's own identity, mounted by the Secrets Store CSI driver."""

    kind = "keyVault"

    def __init__(self, vault: KeyVault, args: KeyVaultSecretStoreArgs) -> None:
        self.vault = vault
        self.args = args

    def workload_secrets(
        self, name: str, args: WorkloadSecretsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> SecretMount:
        store = self.args.azure
        objects = {file_name: vault_secret_name(name, file_name) for file_name in args.secrets}
        if len(set(objects.values())) != len(objects):
            raise ValueError(f"{name}: secret file names {sorted(objects)} collide once made Key Vault names")
        # Azure resources take only the caller's parent: its Kubernetes provider means nothing to them.
        azure = pulumi.ResourceOptions(parent=opts.parent if opts else None)
        reader = workload_identity(
            name, azure=store, namespace=args.namespace, service_account=args.service_account, opts=azure
        )
        identity = reader.identity
        grants: list[pulumi.Resource] = [reader.federation]
        for file_name, value in args.secrets.items():
            secret = keyvault.Secret(
                f"{name}-{file_name}",
                resource_group_name=store.resource_group_name,
                vault_name=self.vault.vault_name,
                secret_name=objects[file_name],
                properties=keyvault.SecretPropertiesArgs(value=pulumi.Output.secret(value), content_type="text/plain"),
                opts=pulumi.ResourceOptions(parent=azure.parent, additional_secret_outputs=["properties"]),
            )
            grants.append(
                authorization.RoleAssignment(
                    f"{name}-{file_name}-reader",
                    principal_id=identity.principal_id,
                    principal_type="ServicePrincipal",
                    role_definition_id=role_definition_id(store.subscription_id, KEY_VAULT_SECRETS_USER),
                    scope=secret.id,
                    description=f"{args.namespace}/{args.service_account} reads {objects[file_name]}",
                    opts=azure,
                )
            )
        class_name = f"{name}-secrets"
        synced = class_name if args.kubernetes_secret else None
        provider_class = k8s.apiextensions.CustomResource(
            f"{name}-secret-provider-class",
            api_version=SECRET_PROVIDER_CLASS_API,
            kind="SecretProviderClass",
            metadata={"name": class_name, "namespace": args.namespace},
            spec=secret_provider_class_spec(
                client_id=identity.client_id,
                vault_name=self.vault.vault_name,
                tenant_id=store.tenant_id,
                objects=objects,
                synced_secret_name=synced,
            ),
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=list(self.args.cluster_ready))),
        )
        volume_name = f"{name}-secrets"
        return SecretMount(
            volume={
                "name": volume_name,
                "csi": {
                    "driver": CSI_DRIVER,
                    "read_only": True,
                    "volume_attributes": {"secretProviderClass": class_name},
                },
            },
            mount_path=args.mount_path,
            service_account_annotations={CLIENT_ID_ANNOTATION: identity.client_id},
            pod_labels={USE_LABEL: "true"},
            # The CSI driver creates the synced Secret when the first pod mounts the volume, not before.
            kubernetes_secret_name=pulumi.Output.from_input(class_name) if synced else None,
            synced_while_mounted=synced is not None,
            resources=[provider_class, *grants],
        )
