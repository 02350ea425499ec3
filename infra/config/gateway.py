"""`prompt2prod:gateway` — the Gateway API gateway, its hostnames, TLS and the generator canary."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from infra.config.base import Hostname, ImageTag, Section, environment_of


class CanaryConfig(Section):
    enabled: bool = False
    image_tag: ImageTag | None = None
    """Generator image tag of the canary version."""
    weight: int = Field(default=10, ge=0, le=100)
    """Percent of generator traffic sent to the canary."""

    @model_validator(mode="after")
    def _tag_when_enabled(self) -> CanaryConfig:
        if self.enabled and self.image_tag is None:
            raise ValueError("imageTag is required when the canary is enabled")
        return self


class GatewayConfig(Section):
    generator_hostname: Hostname = "generator.prompt2prod.localhost"
    llm_hostname: Hostname = "llm.prompt2prod.localhost"
    grafana_hostname: Hostname = "grafana.prompt2prod.localhost"
    tls: Literal["none", "selfSigned", "secret"] = "none"
    """`secret`: certificate and key from the `tlsCertificate` / `tlsPrivateKey` config secrets."""
    max_request_bytes: int = Field(default=1_048_576, ge=1024, le=64 * 1_048_576)
    requests_per_minute: int = Field(default=120, ge=1)
    """Local rate limit per gateway replica on the public listener."""
    canary: CanaryConfig = CanaryConfig()

    @field_validator("tls")
    @classmethod
    def _tls_in_prod(cls, value: str, info: ValidationInfo) -> str:
        if environment_of(info) == "prod" and value == "none":
            raise ValueError("TLS is required on the public listener in prod ('selfSigned' or 'secret')")
        return value
