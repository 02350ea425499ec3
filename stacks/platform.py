"""The platform on top of any cluster: everything that is the same in dev and prod, wired in order."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_random as random

from infra.cluster import ClusterHandle, kubernetes_provider
from infra.config import StackConfig
from infra.monitoring_values import LokiBlobStorage
from infra.namespaces import Namespaces, NamespacesArgs
from infra.observability import Observability, ObservabilityArgs
from infra.outputs import SCHEMA_VERSION
from infra.secret_store import KubernetesSecretStore, SecretStore
from stacks.config import secret


def build_platform(
    config: StackConfig,
    cluster: ClusterHandle,
    secret_store: SecretStore | None = None,
    loki_blob: LokiBlobStorage | None = None,
) -> dict[str, Any]:
    """Declare the in-cluster platform; returns the stack outputs (see `infra.outputs.StackOutputs`)."""
    provider = kubernetes_provider(cluster)
    in_cluster = pulumi.ResourceOptions(providers=[provider])
    namespaces = Namespaces("platform", NamespacesArgs(), opts=in_cluster)
    store = secret_store or KubernetesSecretStore()

    gateway = config.platform.gateway
    scheme = "http" if gateway.tls == "none" else "https"
    grafana_url = f"{scheme}://{gateway.grafana_hostname}"
    observability_config = config.platform.observability
    observability = Observability(
        "observability",
        ObservabilityArgs(
            config=observability_config,
            storage_class=cluster.storage_class,
            secret_store=store,
            grafana_admin_password=grafana_admin_password(config),
            grafana_url=grafana_url,
            links={
                "Grafana": grafana_url,
                "Generator API": f"{scheme}://{gateway.generator_hostname}",
                "LLM API": f"{scheme}://{gateway.llm_hostname}",
            },
            loki_blob=loki_blob,
            depends_on=list(namespaces.by_name.values()),
        ),
        opts=in_cluster,
    )
    return {
        "schemaVersion": SCHEMA_VERSION,
        "environment": config.platform.environment,
        "clusterName": cluster.name,
        "clusterKind": cluster.kind,
        "kubeconfig": cluster.kubeconfig,
        "namespaces": sorted(namespaces.by_name),
        "dashboardUrls": observability.dashboard_urls,
        "prometheusRetention": observability_config.prometheus.retention,
        "prometheusRetentionSize": observability_config.prometheus.retention_size,
        "lokiRetention": observability_config.loki.retention,
        "lokiStorage": "azureBlob" if loki_blob else "filesystem",
    }


def grafana_admin_password(config: StackConfig) -> pulumi.Output[str]:
    """The `grafanaAdminPassword` config secret if set, else a generated one (kept in the Pulumi state, secret)."""
    if config.has_secret("grafanaAdminPassword"):
        return secret("grafanaAdminPassword")
    return random.RandomPassword("grafana-admin-password", length=32, special=False).result
