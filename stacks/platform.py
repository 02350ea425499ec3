"""The platform on top of any cluster: everything that is the same in dev and prod, wired in order.

Order: the one Kubernetes provider -> namespaces -> registry and secret store (the environment's `services`: dev
builds them in the cluster, prod hands in ACR and Key Vault) -> observability (installs the prometheus-operator
CRDs the monitors need) -> Ollama (and its model preload) -> the generator -> kgateway and the Gateway routes ->
the `apps` namespace's default deny, where generated projects deploy themselves.
Nothing here knows which environment it serves: `stacks/dev.py` and `stacks/prod.py` hand in `EnvironmentParts`.
"""

from __future__ import annotations

from typing import Any

import pulumi

from infra import topology
from infra.apps.hosting import AppHosting, AppHostingArgs
from infra.cluster.handle import ClusterHandle
from infra.cluster.provider import kubernetes_provider
from infra.config import StackConfig
from infra.contract.budgets import GenerationBudget
from infra.gateway.api_keys import ApiKeys, ApiKeysArgs
from infra.gateway.gateway import Gateway, GatewayArgs, public_url
from infra.gateway.kgateway import Kgateway, KgatewayArgs
from infra.generator.generator import Generator, GeneratorArgs
from infra.llm.gpu_device_plugin import NvidiaDevicePlugin, NvidiaDevicePluginArgs
from infra.llm.ollama import Ollama, OllamaArgs
from infra.namespaces import DEFAULT_NAMESPACES, Namespaces, NamespacesArgs
from infra.observability.observability import Observability, ObservabilityArgs
from infra.outputs.contract import SCHEMA_VERSION
from stacks.config import secret
from stacks.secrets import api_keys, config_secret_or_generated
from stacks.services import EnvironmentParts, InCluster


def build_platform(config: StackConfig, cluster: ClusterHandle, environment: EnvironmentParts) -> dict[str, Any]:
    """Declare the in-cluster platform; returns the stack outputs (see `infra.outputs.contract.StackOutputs`)."""
    platform = config.platform
    provider = kubernetes_provider(cluster)
    in_cluster = pulumi.ResourceOptions(providers=[provider])
    levels = {**DEFAULT_NAMESPACES, **environment.namespaces}
    namespaces = Namespaces("platform", NamespacesArgs(levels=levels), opts=in_cluster)
    services = environment.services(InCluster(cluster=cluster, namespaces=namespaces, opts=in_cluster))
    loki_blob = environment.loki_blob

    gateway_settings = platform.gateway
    grafana_url = public_url(gateway_settings, "grafana")
    observability = Observability(
        "observability",
        ObservabilityArgs(
            config=platform.observability,
            storage_class=cluster.storage_class,
            secret_store=services.secret_store,
            grafana_admin_password=config_secret_or_generated(config, "grafanaAdminPassword", "grafana-admin-password"),
            grafana_url=grafana_url,
            links={
                "Grafana": grafana_url,
                "Generator API": public_url(gateway_settings, "generator"),
                "LLM API": public_url(gateway_settings, "llm"),
            },
            loki_blob=loki_blob,
            cloud_budget_per_hour=platform.generator.cloud.requests_per_hour,
            namespace_ready=list(namespaces.by_name.values()),
        ),
        opts=in_cluster,
    )
    device_plugin: list[pulumi.Resource] = []
    if platform.ollama.gpu.enabled and cluster.has_gpu_nodes:
        # GPU nodes advertise `nvidia.com/gpu` only once the device plugin runs on them.
        device_plugin.append(NvidiaDevicePlugin("nvidia-device-plugin", NvidiaDevicePluginArgs(), opts=in_cluster))
    ollama = Ollama(
        "ollama",
        OllamaArgs(
            config=platform.ollama,
            storage_class=cluster.storage_class,
            namespace_ready=[namespaces.by_name[topology.NAMESPACE_LLM]],
            device_plugin_ready=device_plugin,
        ),
        opts=in_cluster,
    )
    generator = Generator(
        "generator",
        GeneratorArgs(
            config=platform.generator,
            strict_spread=environment.strict_spread,
            registry_server=services.registry_login_server,
            secret_store=services.secret_store,
            image_pull_secret=services.image_pull_secret,
            registry_ready=list(services.registry_ready),
            cloud_llm_api_key=secret("cloudLlmApiKey") if config.has_secret("cloudLlmApiKey") else None,
            github_token=secret("githubToken") if platform.generator.publishing.enabled else None,
            apps_domain=platform.apps_domain,
            apps_scheme=platform.gateway.scheme,
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
            config=gateway_settings.controller,
            namespace_ready=[namespaces.by_name[topology.NAMESPACE_GATEWAY_SYSTEM]],
        ),
        opts=in_cluster,
    )
    # One Kubernetes Secret `gateway/api-key-secrets`, an entry per client (prod: synced from Key Vault secrets
    # `api-key-<client>`); the gateway's apiKeyAuth and the deploy verification (entry `verify`) both read it.
    keys = ApiKeys(
        "api-key",
        ApiKeysArgs(
            keys=api_keys(config),
            secret_store=services.secret_store,
            namespace_ready=[namespaces.by_name[topology.NAMESPACE_GATEWAY]],
        ),
        opts=in_cluster,
    )
    tls_from_config = gateway_settings.tls == "secret"
    gateway = Gateway(
        "gateway",
        GatewayArgs(
            config=gateway_settings,
            apps_domain=platform.apps_domain,
            generation_budget=GenerationBudget.from_config(platform.generator),
            api_keys_secret=keys.secret_name,
            api_keys_ready=keys.resources,
            crds_ready=kgateway.crds,
            controller_ready=[kgateway.controller],
            namespace_ready=list(namespaces.by_name.values()),
            tls_certificate=secret("tlsCertificate") if tls_from_config else None,
            tls_private_key=secret("tlsPrivateKey") if tls_from_config else None,
        ),
        opts=in_cluster,
    )
    AppHosting("apps", AppHostingArgs(namespace_ready=[namespaces.by_name[topology.NAMESPACE_APPS]]), opts=in_cluster)
    observability_config = platform.observability
    return {
        "schemaVersion": SCHEMA_VERSION,
        "environment": platform.environment,
        "clusterName": cluster.name,
        "clusterKind": cluster.kind,
        "kubeconfig": cluster.kubeconfig,
        "kubernetesVersion": cluster.kubernetes_version,
        "resourceGroupName": cluster.azure.resource_group_name if cluster.azure else None,
        "location": cluster.azure.location if cluster.azure else None,
        "oidcIssuerUrl": cluster.azure.oidc_issuer_url if cluster.azure else None,
        "namespaces": sorted(namespaces.by_name),
        "registryLoginServer": services.registry_login_server,
        "keyVaultUri": services.key_vault_uri,
        "ollamaUrl": ollama.url,
        "ollamaModels": ollama.models,
        "generatorImage": generator.image,
        "gatewayAddress": gateway.address,
        "generatorUrl": gateway.generator_url,
        "llmUrl": gateway.llm_url,
        "grafanaUrl": gateway.grafana_url,
        "appsDomain": platform.apps_domain,
        "publishingEnabled": generator.publishing,
        "dashboardUrls": observability.dashboard_urls,
        "prometheusRetention": observability_config.prometheus.retention,
        "prometheusRetentionSize": observability_config.prometheus.retention_size,
        "lokiRetention": observability_config.loki.retention,
        "lokiStorage": "azureBlob" if loki_blob else "filesystem",
    }
