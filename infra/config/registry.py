"""`prompt2prod:registry` — where the generator image is pushed and pulled from."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from infra.config.base import Hostname, PositiveInt, Quantity, Section, environment_of


class InClusterRegistrySettings(Section):
    storage_size: Quantity = "20Gi"
    image_tag: str = Field(default="2.8.3", pattern=r"^\d+\.\d+\.\d+$")
    node_port: int = Field(default=30500, ge=30000, le=32767)
    """NodePort the K3s nodes pull through (K3s `registries.yaml` mirrors `registry.local` to it)."""


class ExternalRegistrySettings(Section):
    server: Hostname | None = None
    """Login server of a registry you run yourself, e.g. `ghcr.io`. Pull credentials: `registryPassword` secret."""
    username: str | None = None


class AcrSettings(Section):
    sku: Literal["Basic", "Standard", "Premium"] = "Premium"
    retention_days: PositiveInt = 30
    """Untagged manifests are purged after this many days (Premium SKU only)."""


class RegistryConfig(Section):
    kind: Literal["inCluster", "external", "acr"] = "inCluster"
    in_cluster: InClusterRegistrySettings = InClusterRegistrySettings()
    external: ExternalRegistrySettings = ExternalRegistrySettings()
    acr: AcrSettings = AcrSettings()

    @field_validator("kind")
    @classmethod
    def _kind_fits_environment(cls, value: str, info: ValidationInfo) -> str:
        allowed = {"prod": {"acr"}, "dev": {"inCluster", "external"}}[environment_of(info)]
        if value not in allowed:
            raise ValueError(f"{value!r} is not a registry kind for {environment_of(info)} ({sorted(allowed)})")
        return value

    @model_validator(mode="after")
    def _external_needs_server(self) -> RegistryConfig:
        if self.kind == "external" and self.external.server is None:
            raise ValueError("external.server is required when kind is 'external'")
        return self
