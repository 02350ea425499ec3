"""`prompt2prod:registry` — where the generator image is pushed and pulled from.

dev: `inCluster` (a `registry:2` workload reached by the K3s node through a NodePort) or `external` (a registry you
run; pull credentials from the `registryPassword` secret). prod: `acr` (Azure Container Registry).
"""

from __future__ import annotations

from ipaddress import IPv4Network
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from infra import versions
from infra.config.base import Cidr, Hostname, Quantity, Section, refuse_open_ranges
from infra.config.environments import kind_allowed_for


class InClusterRegistrySettings(Section):
    image: str = Field(default=versions.REGISTRY_IMAGE, pattern=r"^[a-z0-9]+([._/-][a-z0-9]+)*$")
    """The distribution registry image, pulled from Docker Hub by the K3s node (or through its own mirror)."""
    image_tag: str = Field(default=versions.REGISTRY_TAG, pattern=r"^\d+\.\d+\.\d+$")
    """Tag of the registry image."""
    image_digest: str | None = Field(default=versions.REGISTRY_DIGEST, pattern=r"^sha256:[0-9a-f]{64}$")
    """The multi-arch index digest of `registry:<imageTag>`: the node pulls exactly that content. Change it with
    the tag (`docker buildx imagetools inspect registry:<tag>`); `null` pulls by tag alone."""
    storage_size: Quantity = "20Gi"
    """The image volume (the cluster's storage class)."""
    node_port: int = Field(default=30500, ge=30000, le=32767)
    """NodePort the K3s node's containerd pulls through (K3s `registries.yaml` mirrors `localhost:<nodePort>`)."""


class ExternalRegistrySettings(Section):
    server: Hostname | None = None
    """Login server of a registry you run yourself, e.g. `ghcr.io`."""
    username: str | None = Field(default=None, min_length=1)
    """Pull user; with it, the `registryPassword` secret becomes an imagePullSecret in the generator namespace."""


class AcrSettings(Section):
    sku: Literal["Basic", "Standard", "Premium"] = "Premium"
    """The firewall, the retention policy and zone redundancy need `Premium`."""
    retention_days: int = Field(default=30, ge=1, le=365)
    """Untagged manifests are purged after this many days (the retention policy exists on Premium only)."""
    public_network_access: bool = False
    """false (Premium): only the private endpoint in the cluster's VNet serves the registry (AKS nodes pull through
    it; CI copies images in with `az acr import`, which ACR runs itself). true opens the public endpoint to
    `allowedIpRanges` (and Basic/Standard need it)."""
    allowed_ip_ranges: list[Cidr] = []
    """Premium with `publicNetworkAccess`: the public endpoint's firewall denies every other address."""
    zone_redundancy: bool = True
    """Premium only: replicate the registry across the region's availability zones."""

    @field_validator("allowed_ip_ranges")
    @classmethod
    def _no_open_range(cls, value: list[IPv4Network]) -> list[IPv4Network]:
        return refuse_open_ranges(value)

    @model_validator(mode="after")
    def _premium_features(self) -> AcrSettings:
        if self.sku != "Premium" and self.allowed_ip_ranges:
            raise ValueError(f"allowedIpRanges needs sku 'Premium' (network rules do not exist on {self.sku})")
        if self.allowed_ip_ranges and not self.public_network_access:
            raise ValueError("allowedIpRanges needs publicNetworkAccess true (the public endpoint is disabled)")
        if not self.public_network_access and self.sku != "Premium":
            raise ValueError(
                "publicNetworkAccess false needs sku 'Premium' (private endpoints are Premium only): "
                f"set publicNetworkAccess true for {self.sku}"
            )
        return self


class RegistryConfig(Section):
    kind: Annotated[Literal["inCluster", "external", "acr"], kind_allowed_for("registry", "a registry kind")] = (
        "inCluster"
    )
    """`inCluster` or `external` in dev, `acr` in prod."""
    in_cluster: InClusterRegistrySettings = InClusterRegistrySettings()
    external: ExternalRegistrySettings = ExternalRegistrySettings()
    acr: AcrSettings = AcrSettings()

    @model_validator(mode="after")
    def _external_needs_server(self) -> RegistryConfig:
        if self.kind == "external" and self.external.server is None:
            raise ValueError("external.server is required when kind is 'external'")
        return self
