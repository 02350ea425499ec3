"""Every pinned version of third-party software the platform deploys: Helm charts, container images, K3s and the
Gateway API CRDs, in one place, so that a reader and a dependency-update bot find them together.

The config defaults (`infra/config/`) take the image tags and the K3s and Kubernetes versions from here; a stack
may override those. Charts, image repositories and the CRD release are not configurable. Only data here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Chart:
    name: str
    version: str
    repository: str
    """A Helm repository URL, or an `oci://` registry path that holds the chart."""

    @property
    def is_oci(self) -> bool:
        return self.repository.startswith("oci://")


# Helm charts.
KUBE_PROMETHEUS_STACK: Final = Chart(
    "kube-prometheus-stack", "88.5.3", "https://prometheus-community.github.io/helm-charts"
)
LOKI: Final = Chart("loki", "7.3.0", "https://grafana.github.io/helm-charts")
ALLOY: Final = Chart("alloy", "1.11.1", "https://grafana.github.io/helm-charts")
NVIDIA_DEVICE_PLUGIN: Final = Chart("nvidia-device-plugin", "0.17.1", "https://nvidia.github.io/k8s-device-plugin")
KGATEWAY_VERSION: Final = "v2.3.7"
"""Chart and image version of kgateway (2.3.x supports Kubernetes 1.31 to 1.35)."""
KGATEWAY_CRDS: Final = Chart("kgateway-crds", KGATEWAY_VERSION, "oci://cr.kgateway.dev/kgateway-dev/charts")
KGATEWAY: Final = Chart("kgateway", KGATEWAY_VERSION, "oci://cr.kgateway.dev/kgateway-dev/charts")

# The Gateway API CRDs (standard channel): the release kgateway 2.3 is documented with (it supports 1.3 to 1.5).
GATEWAY_API_VERSION: Final = "v1.5.1"

# Container images.
OLLAMA_IMAGE: Final = "docker.io/ollama/ollama"
OLLAMA_TAG: Final = "0.12.6"
PYTHON_IMAGE: Final = "docker.io/library/python"
PYTHON_TAG: Final = "3.13.9-alpine3.22"
"""Runs the model preload script (the Ollama image has no Python)."""
PAUSE_IMAGE: Final = "registry.k8s.io/pause"
PAUSE_TAG: Final = "3.10"
"""Holds the Key Vault CSI mount that keeps the gateway's API keys synced into a Kubernetes Secret (prod)."""
REGISTRY_IMAGE: Final = "registry"
REGISTRY_TAG: Final = "2.8.3"
REGISTRY_DIGEST: Final = "sha256:a3d8aaa63ed8681a604f1dea0aa03f100d5895b6a58ace528858a7b332415373"
"""The multi-arch index digest of `registry:<REGISTRY_TAG>` (`docker buildx imagetools inspect registry:<tag>`)."""

# Kubernetes.
K3S_VERSION: Final = "v1.33.5+k3s1"
KUBERNETES_VERSION: Final = "1.33"
"""AKS's pinned minor version, and the version assumed for a cluster you bring."""
