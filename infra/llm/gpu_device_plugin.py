"""`NvidiaDevicePlugin` — NVIDIA's Kubernetes device plugin on the GPU nodes, so that they advertise `nvidia.com/gpu`.

AKS installs the NVIDIA driver on GPU node images but not the device plugin: without it a pod that requests
`nvidia.com/gpu` (Ollama with `ollama.gpu.enabled`) stays Pending forever. Creates one Helm release of NVIDIA's
chart, pinned, whose DaemonSet runs only on the GPU pool (our node label) and tolerates its taint.

`helm.v3.Release` rather than `helm.v4.Chart`: the chart is one DaemonSet with no hooks, but a release keeps the
rendered objects out of the Pulumi state and lets `helm` upgrade it in place like the platform's other charts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra import pod_spec, versions
from infra.helm import helm_release

NAMESPACE = "kube-system"


@dataclass(frozen=True, kw_only=True)
class NvidiaDevicePluginArgs:
    namespace: str = NAMESPACE


def device_plugin_values() -> dict[str, Any]:
    """Run on our GPU nodes only. The chart's default affinity wants node-feature-discovery labels, which AKS
    does not set: it is replaced by our pool's label, and the pool's taint is tolerated."""
    return {
        "affinity": {},
        "nodeSelector": pod_spec.gpu_node_selector(),
        "tolerations": pod_spec.camel_case(pod_spec.gpu_tolerations()),
        "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "128Mi"}},
    }


class NvidiaDevicePlugin(pulumi.ComponentResource):
    release: k8s.helm.v3.Release

    def __init__(self, name: str, args: NvidiaDevicePluginArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("prompt2prod:index:NvidiaDevicePlugin", name, None, opts)
        self.release = helm_release(
            f"{name}-release",
            versions.NVIDIA_DEVICE_PLUGIN,
            namespace=args.namespace,
            values=device_plugin_values(),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"release": self.release.name})
