"""`AppHosting` — the platform's side of the `apps` namespace, where generated projects deploy themselves.

Creates a default-deny NetworkPolicy for every pod of the namespace (ingress and egress): a generated project's
pods can talk to nothing, and nothing to them, until the project's own NetworkPolicy (in its `deploy/` manifests)
opens what it needs, such as ingress from the gateway's proxies on the app port (`infra.contract.apps`). The
namespace itself (Pod Security `restricted`) is one of the platform's `Namespaces`; the route in is the Gateway's
`apps` listener.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from infra import topology

DEFAULT_DENY = "default-deny"


def default_deny_spec() -> k8s.networking.v1.NetworkPolicySpecArgsDict:
    """Every pod of the namespace, both directions, no rule: only other policies' rules let traffic through."""
    return {"pod_selector": {}, "policy_types": ["Ingress", "Egress"]}


@dataclass(frozen=True, kw_only=True)
class AppHostingArgs:
    namespace_ready: Sequence[pulumi.Resource] = ()
    """What creates the `apps` namespace."""


class AppHosting(pulumi.ComponentResource):
    def __init__(self, name: str, args: AppHostingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("prompt2prod:index:AppHosting", name, None, opts)
        k8s.networking.v1.NetworkPolicy(
            f"{name}-default-deny",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=DEFAULT_DENY,
                namespace=topology.NAMESPACE_APPS,
                labels=topology.labels("apps", "network-policy"),
            ),
            spec=default_deny_spec(),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.namespace_ready)),
        )
        self.register_outputs({})
