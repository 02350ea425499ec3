"""prod: AKS, ACR and Key Vault. Azure modules are imported here only, never on the dev path."""

from __future__ import annotations

from typing import Any

import pulumi

from infra.config import StackConfig
from infra.monitoring_values import LokiBlobStorage


def build(config: StackConfig) -> dict[str, Any]:
    raise pulumi.RunError("prod: the AKS cluster layer is not wired yet")


def loki_blob_storage(
    resource_group_name: pulumi.Input[str], location: pulumi.Input[str], oidc_issuer_url: pulumi.Input[str]
) -> LokiBlobStorage:
    """Observability's prod-only part: Loki's Azure Blob storage and workload identity.

    Call it once the AKS cluster exists (its OIDC issuer) and pass the result to `build_platform(loki_blob=...)`.
    """
    from infra.loki_storage import LokiAzureStorage, LokiAzureStorageArgs

    return LokiAzureStorage(
        "loki-logs",
        LokiAzureStorageArgs(
            resource_group_name=resource_group_name, location=location, oidc_issuer_url=oidc_issuer_url
        ),
    ).blob_storage()
