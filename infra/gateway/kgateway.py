"""`Kgateway` — the Gateway API CRDs and kgateway, installed in the only order that cannot race.

Creates, each one after the previous:
1. the Gateway API CRDs, standard channel, pinned (`yaml.v2.ConfigFile` of the release's `standard-install.yaml`;
   the provider reads the URL at deploy time and waits until every CRD is Established);
2. the `kgateway-crds` Helm release (TrafficPolicy, Backend, GatewayParameters, ...);
3. the `kgateway` Helm release: the controller and the `kgateway` GatewayClass.

Every Gateway API or kgateway custom resource of the platform depends on `crds` (and a Gateway also on
`controller`), so neither `pulumi preview` nor `up` can meet a "no matches for kind" error.

Why `helm.v3.Release` and not `helm.v4.Chart`: a Release is applied by Helm itself, in the cluster, only after its
`depends_on` are done, and it finishes only once Helm has applied and awaited everything in the chart. The kgateway
chart ships a GatewayClass, a custom resource of the Gateway API CRDs installed in step 1 of this same program: a
`v4.Chart` would register it as its own Pulumi resource and render it client-side during preview, before those CRDs
exist. The CRD chart keeps its CRDs in `templates/`, so a Release also upgrades them when the version changes
(Helm never upgrades a chart's `crds/` directory).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra import pod_spec, topology, versions
from infra.config.gateway import ControllerConfig
from infra.helm import helm_release

GATEWAY_API_CRDS_URL = (
    f"https://github.com/kubernetes-sigs/gateway-api/releases/download/{versions.GATEWAY_API_VERSION}/"
    "standard-install.yaml"
)
CONTROLLER_UID = 10101


@dataclass(frozen=True, kw_only=True)
class KgatewayArgs:
    config: ControllerConfig
    """Replicas and resources of the controller (`gateway.controller`)."""
    namespace: str = topology.NAMESPACE_GATEWAY_SYSTEM
    namespace_ready: Sequence[pulumi.Resource] = ()
    """What creates the controller's namespace; both releases wait for it."""
    release_timeout_seconds: int = 600


def controller_values(controller: ControllerConfig) -> dict[str, Any]:
    """Values of the `kgateway` chart, keys as in its 2.3.x values reference (`controller.*`, not the deprecated
    top-level `resources` / `securityContext`)."""
    settings: dict[str, Any] = {
        "replicaCount": controller.replicas,
        "logLevel": "info",
        "image": {"pullPolicy": "IfNotPresent"},
        "resources": pod_spec.resource_requirements(controller.resources),
        # The namespace enforces the `restricted` Pod Security Standard; the chart's defaults are empty. The seccomp
        # profile is set once, on the pod.
        "podSecurityContext": pod_spec.camel_case(pod_spec.pod_security_context(CONTROLLER_UID)),
        "securityContext": pod_spec.camel_case(pod_spec.container_security_context(seccomp=False)),
    }
    if controller.replicas > 1:
        # A drain may take one controller down, never all of them: routes keep being reconciled.
        settings["podDisruptionBudget"] = {"minAvailable": 1}
    return {"controller": settings}


class Kgateway(pulumi.ComponentResource):
    crds: list[pulumi.Resource]
    """Resources that install every CRD a Gateway API or kgateway object needs."""
    controller: pulumi.Resource
    """The controller release (with the `kgateway` GatewayClass)."""

    def __init__(self, name: str, args: KgatewayArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("prompt2prod:index:Kgateway", name, None, opts)
        gateway_api_crds = k8s.yaml.v2.ConfigFile(
            f"{name}-gateway-api-crds",
            file=GATEWAY_API_CRDS_URL,
            opts=pulumi.ResourceOptions(parent=self),
        )
        after_namespace = list(args.namespace_ready)
        # The namespace is the platform's (with its PSA labels). Helm rolls a failed install or upgrade back
        # (`atomic`) and removes what it created: the CRDs and the controller never stay half-applied.
        release: dict[str, Any] = {
            "namespace": args.namespace,
            "create_namespace": False,
            "atomic": True,
            "cleanup_on_fail": True,
            "timeout": args.release_timeout_seconds,
        }
        kgateway_crds = helm_release(
            f"{name}-crds",
            versions.KGATEWAY_CRDS,
            release_name=versions.KGATEWAY_CRDS.name,
            values={},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*after_namespace, gateway_api_crds]),
            **release,
        )
        self.crds = [gateway_api_crds, kgateway_crds]
        self.controller = helm_release(
            f"{name}-controller",
            versions.KGATEWAY,
            release_name=versions.KGATEWAY.name,
            values=controller_values(args.config),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*after_namespace, *self.crds]),
            **release,
        )
        self.register_outputs({})
