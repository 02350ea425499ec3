"""`Gateway` — the public entry point: the `public` Gateway, its routes, TLS, limits and network policy.

Creates, in the `gateway` namespace unless said otherwise:
- a `kubernetes.io/tls` Secret when TLS is on: a self-signed certificate for every configured hostname
  (`pulumi-tls`; the private key stays a secret end to end) or the `tlsCertificate` / `tlsPrivateKey` config secrets;
- GatewayParameters for the Envoy proxy kgateway deploys for the Gateway: replicas, resources, hardened security
  context, and a PodDisruptionBudget when replicated;
- the `public` Gateway (class `kgateway`): an `http` listener, an `https` one when TLS is on, and `apps` for the
  generated apps' own routes (`*.<appsDomain>`, from the `apps` namespace only; the certificate covers it);
- HTTPRoutes (see `infra.gateway.routes`) with route timeouts from the backends' budgets (`infra.contract.budgets`),
  ReferenceGrants in `generator`, `llm` and `monitoring` for the Services they reach, the kgateway DirectResponse
  `not-found` (what the gateway answers instead of forwarding `/metrics`), and three kgateway TrafficPolicies on the
  routes to the generator and Ollama: `api-auth` (API keys from the `api_keys_secret`, see `infra.gateway.api_keys`),
  `api-limits` (request size and rate limits) and `api-streams` (the stream idle timeout of the generation budget);
- a NetworkPolicy for the data-plane pods kgateway runs for this Gateway.

The TrafficPolicies name the platform's routes, never the Gateway: the generated apps' routes are their users' public
sites, reached without an API key.

Every custom resource depends on the resources that install its CRD (`crds`), the Gateway also on the controller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s
import pulumi_tls as tls

from infra import pod_spec, topology
from infra.config.gateway import GatewayConfig, ProxyConfig
from infra.contract.budgets import GenerationBudget
from infra.gateway.routes import (
    API_ROUTES,
    GATEWAY_API,
    KGATEWAY_API,
    NOT_FOUND,
    PROMPT_ROUTES,
    PUBLISH_BODY_BYTES,
    REFERENCE_GRANT_API,
    auth_policy_spec,
    gateway_spec,
    limits_policy_spec,
    not_found_spec,
    reference_grant_specs,
    route_annotations,
    route_specs,
    stream_idle_policy_spec,
)

TLS_SECRET = f"{topology.GATEWAY_NAME}-tls"
PROXY_UID = 10101
CERTIFICATE_VALIDITY_HOURS = 24 * 365
# Ports on the pods behind each backend Service (the data plane connects to pod IPs, not Service ports).
BACKEND_POD_PORTS: dict[str, int] = {
    topology.NAMESPACE_GENERATOR: topology.GENERATOR_PORT,
    topology.NAMESPACE_LLM: topology.OLLAMA_PORT,
    topology.NAMESPACE_MONITORING: topology.GRAFANA_CONTAINER_PORT,
    topology.NAMESPACE_APPS: topology.APPS_PORT,
}


@dataclass(frozen=True, kw_only=True)
class GatewayArgs:
    config: GatewayConfig
    apps_domain: str
    """Generated apps are served at `<name>.<apps_domain>` through the `apps` listener."""
    generation_budget: GenerationBudget
    """`generator.requestTimeoutSeconds`: the routes to the generator and Ollama get their timeouts from it."""
    api_keys_secret: pulumi.Input[str]
    """The Kubernetes Secret in the gateway's namespace whose entries are the API keys by client (`ApiKeys`)."""
    api_keys_ready: Sequence[pulumi.Resource] = ()
    """What creates (or, in prod, syncs) that Secret; the auth policy waits for it."""
    crds_ready: Sequence[pulumi.Resource]
    """What installs the Gateway API and kgateway CRDs (`Kgateway.crds`); every custom resource waits for it."""
    controller_ready: Sequence[pulumi.Resource]
    """The kgateway controller release, which also installs the `kgateway` GatewayClass; the Gateway waits for it."""
    namespace_ready: Sequence[pulumi.Resource] = ()
    """What creates the namespaces the objects live in (the gateway's and the route targets')."""
    tls_certificate: pulumi.Input[str] | None = None
    """PEM certificate chain, for `tls: secret` (a secret Output)."""
    tls_private_key: pulumi.Input[str] | None = None
    """PEM private key, for `tls: secret` (a secret Output)."""


class GatewayObject(pulumi.CustomResource):
    """A Gateway API `Gateway`, typed so that its `status` (addresses, conditions) can be read back."""

    status: pulumi.Output[Any]

    def __init__(
        self, name: str, metadata: k8s.meta.v1.ObjectMetaArgsDict, spec: dict[str, Any], opts: pulumi.ResourceOptions
    ) -> None:
        props = {"apiVersion": GATEWAY_API, "kind": "Gateway", "metadata": metadata, "spec": spec, "status": None}
        super().__init__(f"kubernetes:{GATEWAY_API}:Gateway", name, props, opts)


def gateway_parameters_spec(proxy: ProxyConfig) -> dict[str, Any]:
    """kgateway GatewayParameters (`spec.kube`) for the proxy Deployment of the `public` Gateway."""
    kube: dict[str, Any] = {
        "deployment": {"replicas": proxy.replicas},
        "podTemplate": {"securityContext": pod_spec.camel_case(pod_spec.pod_security_context())},
        "envoyContainer": {
            "resources": pod_spec.resource_requirements(proxy.resources),
            # kgateway's own default plus the RuntimeDefault seccomp profile that the `restricted` Pod Security
            # Standard of the `gateway` namespace requires. NET_BIND_SERVICE (the one capability `restricted`
            # allows) lets the non-root Envoy listen on ports 80 and 443. kgateway sets the image's group itself.
            "securityContext": pod_spec.camel_case(
                pod_spec.container_security_context(PROXY_UID, group=False, add_capabilities=["NET_BIND_SERVICE"])
            ),
        },
    }
    if proxy.replicas > 1:
        # kgateway creates the PDB with its selector set to the proxy Deployment.
        kube["podDisruptionBudget"] = {"spec": {"minAvailable": 1}}
    return {"kube": kube}


def gateway_address(status: Any) -> str:
    """The first address the implementation published on the Gateway (IP or hostname), '' before it has one."""
    addresses = (status or {}).get("addresses") or []
    return str(addresses[0]["value"]) if addresses else ""


def public_url(config: GatewayConfig, host: Literal["generator", "llm", "grafana"]) -> str:
    hostname = {
        "generator": config.generator_hostname,
        "llm": config.llm_hostname,
        "grafana": config.grafana_hostname,
    }[host]
    return f"{config.scheme}://{hostname}"


def certificate_names(config: GatewayConfig, apps_domain: str) -> list[str]:
    """The names the listener certificate covers: every platform hostname and every generated app's."""
    return [*config.hostnames, f"*.{apps_domain}"]


def data_plane_network_policy() -> k8s.networking.v1.NetworkPolicySpecArgsDict:
    """Ingress: anyone (it is the public entry point). Egress: DNS, the kgateway control plane (xDS) and the
    backend pods of the routes, nothing else: a compromised proxy cannot reach the rest of the cluster or the internet.
    """

    egress: list[k8s.networking.v1.NetworkPolicyEgressRuleArgsDict] = [
        pod_spec.dns_egress_rule(coredns_only=False),
        {"to": [pod_spec.namespace_peer(topology.NAMESPACE_GATEWAY_SYSTEM)]},
    ]
    egress += [
        {"to": [pod_spec.namespace_peer(ns)], "ports": [{"protocol": "TCP", "port": port}]}
        for ns, port in sorted(BACKEND_POD_PORTS.items())
    ]
    return {
        # kgateway labels the proxy pods of a Gateway with the Gateway's name.
        "pod_selector": {"match_labels": {"gateway.networking.k8s.io/gateway-name": topology.GATEWAY_NAME}},
        "policy_types": ["Ingress", "Egress"],
        "ingress": [{}],
        "egress": egress,
    }


class Gateway(pulumi.ComponentResource):
    address: pulumi.Output[str]
    generator_url: str
    llm_url: str
    grafana_url: str

    def __init__(self, name: str, args: GatewayArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("prompt2prod:index:Gateway", name, None, opts)
        config = args.config
        after_namespaces = list(args.namespace_ready)
        after_crds = [*after_namespaces, *args.crds_ready]
        ns = topology.NAMESPACE_GATEWAY

        def metadata(
            object_name: str, namespace: str = ns, annotations: dict[str, str] | None = None
        ) -> k8s.meta.v1.ObjectMetaArgsDict:
            meta: k8s.meta.v1.ObjectMetaArgsDict = {
                "name": object_name,
                "namespace": namespace,
                "labels": topology.labels("gateway", "edge"),
            }
            if annotations:
                meta["annotations"] = annotations
            return meta

        tls_secret = self._tls_secret(name, args, metadata(TLS_SECRET), after_namespaces)
        parameters = k8s.apiextensions.CustomResource(
            f"{name}-proxy",
            api_version=KGATEWAY_API,
            kind="GatewayParameters",
            metadata=metadata(topology.GATEWAY_NAME),
            spec=gateway_parameters_spec(config.proxy),
            opts=pulumi.ResourceOptions(parent=self, depends_on=after_crds),
        )
        gateway = GatewayObject(
            f"{name}-gateway",
            metadata(
                topology.GATEWAY_NAME,
                # `up` waits until kgateway has programmed the data plane and an address is assigned.
                annotations={"pulumi.com/waitFor": "condition=Programmed"},
            ),
            {
                **gateway_spec(config, TLS_SECRET if tls_secret is not None else None, args.apps_domain),
                "infrastructure": {
                    "parametersRef": {
                        "group": KGATEWAY_API.split("/")[0],
                        "kind": "GatewayParameters",
                        "name": topology.GATEWAY_NAME,
                    }
                },
            },
            pulumi.ResourceOptions(
                parent=self,
                depends_on=[
                    *after_crds,
                    *args.controller_ready,
                    parameters,
                    *([tls_secret] if tls_secret is not None else []),
                ],
            ),
        )
        not_found = k8s.apiextensions.CustomResource(
            f"{name}-not-found",
            api_version=KGATEWAY_API,
            kind="DirectResponse",
            metadata=metadata(NOT_FOUND),
            spec=not_found_spec(),
            opts=pulumi.ResourceOptions(parent=self, depends_on=after_crds),
        )
        # The routes wait for it: no moment serves them without authentication.
        auth = k8s.apiextensions.CustomResource(
            f"{name}-auth",
            api_version=KGATEWAY_API,
            kind="TrafficPolicy",
            metadata=metadata("api-auth"),
            spec=pulumi.Output.from_input(args.api_keys_secret).apply(
                lambda secret: auth_policy_spec(API_ROUTES, secret)
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*after_crds, *args.api_keys_ready]),
        )
        routes = route_specs(config, args.generation_budget, args.apps_domain)
        for route_name, spec in routes.items():
            k8s.apiextensions.CustomResource(
                f"{name}-route-{route_name}",
                api_version=GATEWAY_API,
                kind="HTTPRoute",
                metadata=metadata(route_name, annotations=route_annotations(route_name)),
                spec=spec,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[*after_crds, gateway, not_found, auth]),
            )
        for target_namespace, spec in reference_grant_specs(routes).items():
            k8s.apiextensions.CustomResource(
                f"{name}-grant-{target_namespace}",
                api_version=REFERENCE_GRANT_API,
                kind="ReferenceGrant",
                metadata=metadata(f"{topology.NAMESPACE_GATEWAY}-routes", target_namespace),
                spec=spec,
                opts=pulumi.ResourceOptions(parent=self, depends_on=after_crds),
            )
        # Resource-name suffix -> (the TrafficPolicy's name, its spec).
        traffic_policies = {
            "limits": ("api-limits", limits_policy_spec(config, PROMPT_ROUTES)),
            "publish-limits": ("publish-limits", limits_policy_spec(config, ["publish"], PUBLISH_BODY_BYTES)),
            "streams": ("api-streams", stream_idle_policy_spec(args.generation_budget, API_ROUTES)),
        }
        for suffix, (policy_name, spec) in traffic_policies.items():
            k8s.apiextensions.CustomResource(
                f"{name}-{suffix}",
                api_version=KGATEWAY_API,
                kind="TrafficPolicy",
                metadata=metadata(policy_name),
                spec=spec,
                opts=pulumi.ResourceOptions(parent=self, depends_on=after_crds),
            )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-data-plane",
            metadata=metadata(f"{topology.GATEWAY_NAME}-data-plane"),
            spec=data_plane_network_policy(),
            opts=pulumi.ResourceOptions(parent=self, depends_on=after_namespaces),
        )
        self.address = gateway.status.apply(gateway_address)
        self.generator_url = public_url(config, "generator")
        self.llm_url = public_url(config, "llm")
        self.grafana_url = public_url(config, "grafana")
        self.register_outputs(
            {
                "address": self.address,
                "generator_url": self.generator_url,
                "llm_url": self.llm_url,
                "grafana_url": self.grafana_url,
            }
        )

    def _tls_secret(
        self, name: str, args: GatewayArgs, metadata: k8s.meta.v1.ObjectMetaArgsDict, depends_on: list[pulumi.Resource]
    ) -> k8s.core.v1.Secret | None:
        config = args.config
        if config.tls == "none":
            return None
        child = pulumi.ResourceOptions(parent=self)
        if config.tls == "selfSigned":
            key = tls.PrivateKey(f"{name}-tls-key", algorithm="ECDSA", ecdsa_curve="P256", opts=child)
            cert = tls.SelfSignedCert(
                f"{name}-tls-cert",
                private_key_pem=key.private_key_pem,
                subject=tls.SelfSignedCertSubjectArgs(
                    common_name=config.generator_hostname, organization="prompt2prod"
                ),
                dns_names=certificate_names(config, args.apps_domain),
                validity_period_hours=CERTIFICATE_VALIDITY_HOURS,
                early_renewal_hours=24 * 30,
                allowed_uses=["digital_signature", "key_encipherment", "server_auth"],
                opts=child,
            )
            certificate: pulumi.Input[str] = cert.cert_pem
            private_key: pulumi.Input[str] = key.private_key_pem
        else:
            if args.tls_certificate is None or args.tls_private_key is None:
                raise ValueError("gateway.tls is 'secret' but tlsCertificate / tlsPrivateKey were not passed")
            certificate, private_key = args.tls_certificate, args.tls_private_key
        return k8s.core.v1.Secret(
            f"{name}-tls",
            metadata=metadata,
            type="kubernetes.io/tls",
            string_data={"tls.crt": certificate, "tls.key": pulumi.Output.secret(private_key)},
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )
