"""The platform on top of any cluster: everything that is the same in dev and prod, wired in order."""

from __future__ import annotations

from typing import Any

import pulumi

from infra import topology
from infra.cluster import ClusterHandle, kubernetes_provider
from infra.config import StackConfig
from infra.gateway import Gateway, GatewayArgs
from infra.kgateway import Kgateway, KgatewayArgs
from infra.namespaces import Namespaces, NamespacesArgs
from infra.outputs import SCHEMA_VERSION
from stacks.config import secret


def build_platform(config: StackConfig, cluster: ClusterHandle) -> dict[str, Any]:
    """Declare the in-cluster platform; returns the stack outputs (see `infra.outputs.StackOutputs`)."""
    provider = kubernetes_provider(cluster)
    in_cluster = pulumi.ResourceOptions(providers=[provider])
    namespaces = Namespaces("platform", NamespacesArgs(), opts=in_cluster)
    gateway_settings = config.platform.gateway
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
    return {
        "schemaVersion": SCHEMA_VERSION,
        "environment": config.platform.environment,
        "clusterName": cluster.name,
        "clusterKind": cluster.kind,
        "kubeconfig": cluster.kubeconfig,
        "namespaces": sorted(namespaces.by_name),
        "gatewayAddress": gateway.address,
        "generatorUrl": gateway.generator_url,
        "llmUrl": gateway.llm_url,
        "grafanaUrl": gateway.grafana_url,
    }
