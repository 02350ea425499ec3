"""`prompt2prod:secretStore` — where workload secrets live before they are mounted as files."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from infra.config.base import Section, environment_of


class KeyVaultSettings(Section):
    sku: Literal["standard", "premium"] = "standard"
    soft_delete_retention_days: int = Field(default=90, ge=7, le=90)
    rotation_poll_interval: str = Field(default="2m", pattern=r"^\d+[smh]$")
    """How often the CSI driver re-reads Key Vault secrets into the mounted files."""


class SecretStoreConfig(Section):
    kind: Literal["kubernetes", "keyVault"] = "kubernetes"
    key_vault: KeyVaultSettings = KeyVaultSettings()

    @field_validator("kind")
    @classmethod
    def _kind_fits_environment(cls, value: str, info: ValidationInfo) -> str:
        allowed = {"prod": {"keyVault"}, "dev": {"kubernetes"}}[environment_of(info)]
        if value not in allowed:
            raise ValueError(f"{value!r} is not a secret store for {environment_of(info)} ({sorted(allowed)})")
        return value
