"""`LokiAzureStorage` — prod: where Loki keeps its chunks, and the identity it uses to get there.

Creates a StorageV2 account (no public blobs, no shared keys, TLS 1.2+) whose firewall denies every network but
the AKS node subnet (a virtual network rule; the subnet has the `Microsoft.Storage` service endpoint, and Loki's
pods leave the VNet with their node's address), a private blob container, a user-assigned managed identity
federated with Loki's ServiceAccount (workload identity: no key anywhere) and a `Storage Blob Data Contributor`
role assignment of that identity on the account. Pulumi creates the container through Azure Resource Manager,
which the account's firewall does not filter. prod only: imports `pulumi_azure_native` submodules, never loaded on
the dev path.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Final

import pulumi
from pulumi_azure_native import authorization, storage

from infra import topology
from infra.azure import STORAGE_BLOB_DATA_CONTRIBUTOR, role_definition_id
from infra.cluster.handle import AzureScope
from infra.observability.values import LOKI_SERVICE_ACCOUNT, LokiBlobStorage
from infra.secrets.workload_identity import workload_identity

CONTAINER: Final = "loki"


def storage_account_name(project: str, stack: str) -> str:
    """A stable, globally unique-enough account name: 3-24 lower-case letters and digits."""
    digest = hashlib.sha256(f"{project}/{stack}".encode()).hexdigest()[:14]
    return f"lokilogs{digest}"


@dataclass(frozen=True, kw_only=True)
class LokiAzureStorageArgs:
    azure: AzureScope
    """The AKS cluster's: the federated credential trusts tokens its OIDC issuer signs for Loki's ServiceAccount."""
    namespace: str = topology.NAMESPACE_MONITORING
    service_account: str = LOKI_SERVICE_ACCOUNT
    tags: dict[str, str] = field(default_factory=lambda: {"app": "loki", "part-of": topology.PART_OF})


class LokiAzureStorage(pulumi.ComponentResource):
    account_name: pulumi.Output[str]
    container_name: pulumi.Output[str]
    client_id: pulumi.Output[str]

    def __init__(self, name: str, args: LokiAzureStorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("prompt2prod:index:LokiAzureStorage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        account = storage.StorageAccount(
            f"{name}-account",
            account_name=storage_account_name(pulumi.get_project(), pulumi.get_stack()),
            resource_group_name=args.azure.resource_group_name,
            location=args.azure.location,
            kind=storage.Kind.STORAGE_V2,
            sku=storage.SkuArgs(name=storage.SkuName.STANDARD_ZRS),
            allow_blob_public_access=False,
            allow_shared_key_access=False,
            enable_https_traffic_only=True,
            minimum_tls_version=storage.MinimumTlsVersion.TLS1_2,
            network_rule_set=storage.NetworkRuleSetArgs(
                default_action=storage.DefaultAction.DENY,
                # Trusted Azure services (e.g. Defender for Storage) keep their access, as on the Key Vault.
                bypass="AzureServices",
                virtual_network_rules=[
                    storage.VirtualNetworkRuleArgs(virtual_network_resource_id=args.azure.node_subnet_id)
                ],
            ),
            tags=args.tags,
            # The logs outlive the cluster: `pulumi destroy` must not take them along by accident.
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        container = storage.BlobContainer(
            f"{name}-container",
            account_name=account.name,
            resource_group_name=args.azure.resource_group_name,
            container_name=CONTAINER,
            public_access=storage.PublicAccess.NONE,
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        identity = workload_identity(
            name,
            azure=args.azure,
            namespace=args.namespace,
            service_account=args.service_account,
            opts=child,
            tags=args.tags,
        ).identity
        authorization.RoleAssignment(
            f"{name}-blob-contributor",
            principal_id=identity.principal_id,
            principal_type=authorization.PrincipalType.SERVICE_PRINCIPAL,
            role_definition_id=role_definition_id(args.azure.subscription_id, STORAGE_BLOB_DATA_CONTRIBUTOR),
            scope=account.id,
            opts=child,
        )
        self.account_name = account.name
        self.container_name = container.name
        self.client_id = identity.client_id
        self.register_outputs(
            {"account_name": self.account_name, "container_name": self.container_name, "client_id": self.client_id}
        )

    def blob_storage(self) -> LokiBlobStorage:
        """What `infra.observability.values.loki_values` needs to point Loki at this account."""
        return LokiBlobStorage(
            account_name=self.account_name,
            container=self.container_name,
            client_id=self.client_id,
            storage_ready=(self,),
        )
