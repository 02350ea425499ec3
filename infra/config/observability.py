"""`prompt2prod:observability` — Prometheus, Alertmanager, Grafana and Loki sizing, retention and SLO targets."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from infra.config.base import PositiveInt, Quantity, Resources, Section, quantity_value

_SIZE_UNITS = {"MB": 10**6, "GB": 10**9, "TB": 10**12}


def size_bytes(size: str) -> int:
    """Bytes of a Prometheus `retentionSize` such as `8GB` (decimal units, as Prometheus reads them)."""
    match = re.fullmatch(r"(\d+)(MB|GB|TB)", size)
    if match is None:
        raise ValueError(f"{size!r} is not a size such as 512MB or 8GB")
    return int(match.group(1)) * _SIZE_UNITS[match.group(2)]


class PrometheusSettings(Section):
    retention: str = Field(default="15d", pattern=r"^\d+[hdwy]$")
    """Time-based retention: blocks older than this are deleted."""
    retention_size: str = Field(default="8GB", pattern=r"^\d+(MB|GB|TB)$")
    """Size-based retention: the oldest blocks go first once the TSDB is larger. Must fit in `storageSize`."""
    storage_size: Quantity = "10Gi"
    """Prometheus' volume."""
    scrape_interval: str = Field(default="30s", pattern=r"^\d+[sm]$")
    """Scrape and rule evaluation interval."""
    resources: Resources = Resources(cpu_request="200m", memory_request="512Mi", cpu_limit="1", memory_limit="2Gi")

    @model_validator(mode="after")
    def _size_retention_fits_the_volume(self) -> PrometheusSettings:
        # The WAL and the block being compacted live next to the retained blocks: keep 10 % of headroom.
        if size_bytes(self.retention_size) > 0.9 * quantity_value(self.storage_size):
            raise ValueError(
                f"retentionSize {self.retention_size} does not leave 10% of storageSize {self.storage_size} free"
            )
        return self


class LokiSettings(Section):
    retention: str = Field(default="168h", pattern=r"^\d+h$")
    """Log retention (the compactor deletes older chunks). A multiple of 24h: the index period."""
    storage_size: Quantity = "10Gi"
    """Filesystem volume size (dev). Prod keeps chunks in Azure Blob; the volume then holds only the WAL."""
    resources: Resources = Resources(cpu_request="100m", memory_request="256Mi", cpu_limit="1", memory_limit="1Gi")

    @field_validator("retention")
    @classmethod
    def _whole_days(cls, value: str) -> str:
        hours = int(value.removesuffix("h"))
        if hours < 24 or hours % 24:
            raise ValueError(f"{value!r} must be a whole number of days (24h, 48h, ...): Loki's index period is 24h")
        return value


class GrafanaSettings(Section):
    storage_size: Quantity = "2Gi"
    """Grafana's database volume."""
    resources: Resources = Resources(cpu_request="50m", memory_request="128Mi", cpu_limit="500m", memory_limit="512Mi")


class LlmLatencySlo(Section):
    """p95 latency objective of one whole generation, per `x-llm-mode` (a CPU-only local model is slow)."""

    local: float = Field(default=120.0, gt=0)
    """Seconds, with `x-llm-mode: local` (Ollama)."""
    cloud: float = Field(default=30.0, gt=0)
    """Seconds, with `x-llm-mode: cloud`."""


class ObservabilityConfig(Section):
    prometheus: PrometheusSettings = PrometheusSettings()
    loki: LokiSettings = LokiSettings()
    grafana: GrafanaSettings = GrafanaSettings()
    alertmanager_storage_size: Quantity = "1Gi"
    """Alertmanager's volume."""
    alertmanager_retention: str = Field(default="120h", pattern=r"^\d+h$")
    """How long Alertmanager keeps silences and notification state."""
    slo_availability_target: float = Field(default=0.99, gt=0.5, lt=1.0)
    """Share of non-5xx generator responses over 30 days (probes and /metrics excluded)."""
    latency_slo_seconds: float = Field(default=0.5, gt=0)
    """p95 objective of the generator's non-generation routes."""
    llm_latency_slo_seconds: LlmLatencySlo = LlmLatencySlo()
    volume_full_ratio: float = Field(default=0.85, gt=0, lt=1)
    """Alert when the Ollama model volume is fuller than this."""
    gateway_error_ratio: float = Field(default=0.05, gt=0, lt=1)
    """Alert when more than this share of the gateway's responses are 5xx."""
    replicas: PositiveInt = 1
    """Prometheus and Alertmanager replicas."""
