"""`prompt2prod:observability` — Prometheus, Alertmanager, Grafana and Loki sizing and retention."""

from __future__ import annotations

from pydantic import Field

from infra.config.base import PositiveInt, Quantity, Section

Duration = str


class PrometheusSettings(Section):
    retention: str = Field(default="15d", pattern=r"^\d+[hdwy]$")
    retention_size: str = Field(default="8GB", pattern=r"^\d+(MB|GB|TB)$")
    storage_size: Quantity = "10Gi"
    scrape_interval: str = Field(default="30s", pattern=r"^\d+[sm]$")


class LokiSettings(Section):
    retention: str = Field(default="168h", pattern=r"^\d+h$")
    storage_size: Quantity = "10Gi"
    """Filesystem volume size (dev). Prod keeps chunks in Azure Blob."""


class GrafanaSettings(Section):
    storage_size: Quantity = "2Gi"


class ObservabilityConfig(Section):
    prometheus: PrometheusSettings = PrometheusSettings()
    loki: LokiSettings = LokiSettings()
    grafana: GrafanaSettings = GrafanaSettings()
    alertmanager_storage_size: Quantity = "1Gi"
    slo_availability_target: float = Field(default=0.99, gt=0.5, lt=1.0)
    latency_slo_seconds: float = Field(default=0.5, gt=0)
    volume_full_ratio: float = Field(default=0.85, gt=0, lt=1)
    replicas: PositiveInt = 1
