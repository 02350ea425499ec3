"""Names that several components agree on: namespaces, service names, ports and labels.

Components reference each other through these (e.g. the gateway routes to the Ollama Service by name), so
that no component has to import another to know where it lives.
"""

from __future__ import annotations

from typing import Final

PART_OF: Final = "prompt2prod"

# Namespaces, one per concern, so that NetworkPolicies can select by `kubernetes.io/metadata.name`.
NAMESPACE_LLM: Final = "llm"
NAMESPACE_GENERATOR: Final = "generator"
NAMESPACE_GATEWAY: Final = "gateway"
NAMESPACE_GATEWAY_SYSTEM: Final = "kgateway-system"
NAMESPACE_MONITORING: Final = "monitoring"
NAMESPACE_REGISTRY: Final = "registry"

OLLAMA_SERVICE: Final = "ollama"
OLLAMA_PORT: Final = 11434
GENERATOR_SERVICE: Final = "generator"
GENERATOR_PORT: Final = 8000
GENERATOR_CANARY_SERVICE: Final = "generator-canary"
GATEWAY_NAME: Final = "public"


def labels(app: str, component: str) -> dict[str, str]:
    """The recommended `app.kubernetes.io/*` labels for one of our workloads."""
    return {
        "app.kubernetes.io/name": app,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": "pulumi",
    }


def service_url(service: str, namespace: str, port: int) -> str:
    """In-cluster URL of a Service."""
    return f"http://{service}.{namespace}.svc.cluster.local:{port}"


# Node pools (AKS): workloads select a pool by this label; GPU nodes carry a taint that only GPU pods tolerate.
NODE_POOL_LABEL: Final = "prompt2prod.io/pool"
GPU_TAINT_KEY: Final = "nvidia.com/gpu"
GPU_TAINT: Final = f"{GPU_TAINT_KEY}=present:NoSchedule"
