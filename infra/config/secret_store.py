"""`prompt2prod:secretStore` — where workload secrets live before they are mounted as files.

dev: `kubernetes` (Kubernetes Secrets written from Pulumi config secrets). prod: `keyVault` (Azure Key Vault read by
the Secrets Store CSI driver with workload identity).
"""

from __future__ import annotations

from ipaddress import IPv4Network
from typing import Annotated, Literal

from pydantic import Field, field_validator

from infra.config.base import Cidr, Section, refuse_open_ranges
from infra.config.environments import kind_allowed_for


class KeyVaultSettings(Section):
    sku: Literal["standard", "premium"] = "standard"
    """Key Vault pricing tier (`premium` adds HSM-backed keys, which the platform does not use)."""
    soft_delete_retention_days: int = Field(default=90, ge=7, le=90)
    """Azure allows 7 to 90 days; it cannot be changed after the vault is created."""
    rotation_poll_interval: str = Field(default="2m", pattern=r"^\d+[smh]$")
    """How often the CSI driver re-reads Key Vault secrets into the mounted files (the AKS add-on's setting)."""
    allowed_ip_ranges: list[Cidr] = []
    """Addresses allowed through the vault firewall besides the AKS node subnet, e.g. operators running `az keyvault
    secret show`. Pulumi itself writes secrets through Azure Resource Manager, which the firewall does not filter."""

    @field_validator("allowed_ip_ranges")
    @classmethod
    def _no_open_range(cls, value: list[IPv4Network]) -> list[IPv4Network]:
        return refuse_open_ranges(value)


class SecretStoreConfig(Section):
    kind: Annotated[Literal["kubernetes", "keyVault"], kind_allowed_for("secretStore", "a secret store")] = "kubernetes"
    """`kubernetes` in dev, `keyVault` in prod."""
    key_vault: KeyVaultSettings = KeyVaultSettings()
