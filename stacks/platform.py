"""The platform on top of any cluster: everything that is the same in dev and prod, wired in order.

Order: the one Kubernetes provider -> namespaces -> observability (installs the prometheus-operator CRDs that
the monitors need) -> Ollama (and its model preload) -> the generator -> kgateway and the Gateway routes.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_random as random

from infra import topology
from infra.cluster import ClusterHandle, kubernetes_provider
from infra.config import StackConfig
from infra.config.registry import RegistryConfig
from infra.config.secret_store import SecretStoreConfig
from infra.gateway import Gateway, GatewayArgs
from infra.generator import Generator, GeneratorArgs
from infra.kgateway import Kgateway, KgatewayArgs
from infra.monitoring_values import LokiBlobStorage
from infra.namespaces import Namespaces, NamespacesArgs
from infra.observability import Observability, ObservabilityArgs
from infra.ollama import Ollama, OllamaArgs
from infra.outputs import SCHEMA_VERSION
from infra.secret_store import KubernetesSecretStore, SecretStore
from stacks.config import secret


def default_registry_server(registry: RegistryConfig) -> str:
    """Where nodes pull the generator image when the caller does not pass the registry's login server:
    the in-cluster registry's NodePort on the node itself, or the external registry you configured."""
    if registry.kind == "inCluster":
        return f"localhost:{registry.in_cluster.node_port}"
    if registry.kind == "external" and registry.external.server is not None:
        return registry.external.server
    raise ValueError(f"registry kind {registry.kind!r}: pass the registry's login server to build_platform")


def default_secret_store(store: SecretStoreConfig) -> SecretStore:
    """Kubernetes Secrets when configured so (dev); Key Vault needs its component, so the caller passes it."""
    if store.kind == "kubernetes":
        return KubernetesSecretStore()
    raise ValueError(f"secret store kind {store.kind!r}: pass the secret store to build_platform")


def build_platform(
    config: StackConfig,
    cluster: ClusterHandle,
    *,
    registry_server: pulumi.Input[str] | None = None,
    secret_store: SecretStore | None = None,
    loki_blob: LokiBlobStorage | None = None,
) -> dict[str, Any]:
    """Declare the in-cluster platform; returns the stack outputs (see `infra.outputs.StackOutputs`).

    `registry_server`: the login server images are pulled from (prod: ACR's); default from the registry config.
    `secret_store`: where workload secrets come from (prod: Key Vault); default from the secret store config.
    `loki_blob`: prod's Azure Blob storage for Loki; None keeps Loki's chunks on its volume.
    """
    platform = config.platform
    provider = kubernetes_provider(cluster)
    in_cluster = pulumi.ResourceOptions(providers=[provider])
    namespaces = Namespaces("platform", NamespacesArgs(), opts=in_cluster)
    store = secret_store if secret_store is not None else default_secret_store(platform.secret_store)

    gateway_settings = platform.gateway
    scheme = "http" if gateway_settings.tls == "none" else "https"
    grafana_url = f"{scheme}://{gateway_settings.grafana_hostname}"
    observability = Observability(
        "observability",
        ObservabilityArgs(
            config=platform.observability,
            storage_class=cluster.storage_class,
            secret_store=store,
            grafana_admin_password=grafana_admin_password(config),
            grafana_url=grafana_url,
            links={
                "Grafana": grafana_url,
                "Generator API": f"{scheme}://{gateway_settings.generator_hostname}",
                "LLM API": f"{scheme}://{gateway_settings.llm_hostname}",
            },
            loki_blob=loki_blob,
            depends_on=list(namespaces.by_name.values()),
        ),
        opts=in_cluster,
    )
    ollama = Ollama(
        "ollama",
        OllamaArgs(
            settings=platform.ollama,
            storage_class=cluster.storage_class,
            namespace=namespaces.by_name[topology.NAMESPACE_LLM].metadata.name,
        ),
        opts=in_cluster,
    )
    generator = Generator(
        "generator",
        GeneratorArgs(
            config=platform.generator,
            environment=platform.environment,
            registry_server=(
                registry_server if registry_server is not None else default_registry_server(platform.registry)
            ),
            secret_store=store,
            cloud_llm_api_key=secret("cloudLlmApiKey") if config.has_secret("cloudLlmApiKey") else None,
            canary_image_tag=gateway_settings.canary.image_tag if gateway_settings.canary.enabled else None,
            namespace_ready=[namespaces.by_name[topology.NAMESPACE_GENERATOR]],
            # The generator is only ready once its model is on Ollama's volume.
            backend_ready=[ollama],
            # Its ServiceMonitor needs the prometheus-operator CRDs that kube-prometheus-stack installs.
            crds_ready=[observability.stack],
        ),
        opts=in_cluster,
    )
    kgateway = Kgateway(
        "kgateway",
        KgatewayArgs(
            namespace=namespaces.by_name[topology.NAMESPACE_GATEWAY_SYSTEM].metadata.name,
            controller=gateway_settings.controller,
        ),
        opts=in_cluster,
    )
    tls_from_config = gateway_settings.tls == "secret"
    gateway = Gateway(
        "gateway",
        GatewayArgs(
            config=gateway_settings,
            crds=kgateway.crds,
            controller=kgateway.controller,
            namespaces=list(namespaces.by_name.values()),
            tls_certificate=secret("tlsCertificate") if tls_from_config else None,
            tls_private_key=secret("tlsPrivateKey") if tls_from_config else None,
        ),
        opts=in_cluster,
    )
    observability_config = platform.observability
    return {
        "schemaVersion": SCHEMA_VERSION,
        "environment": platform.environment,
        "clusterName": cluster.name,
        "clusterKind": cluster.kind,
        "kubeconfig": cluster.kubeconfig,
        "kubernetesVersion": cluster.kubernetes_version,
        "resourceGroupName": cluster.resource_group_name,
        "location": cluster.location,
        "oidcIssuerUrl": cluster.oidc_issuer_url,
        "namespaces": sorted(namespaces.by_name),
        "ollamaUrl": ollama.url,
        "ollamaModels": ollama.models,
        "generatorImage": generator.image,
        "gatewayAddress": gateway.address,
        "generatorUrl": gateway.generator_url,
        "llmUrl": gateway.llm_url,
        "grafanaUrl": gateway.grafana_url,
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
