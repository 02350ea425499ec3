"""What the platform expects of a generated app it hosts, as data: the one model of a hosted app.

Generated projects deploy themselves into the `apps` namespace with their own `deploy/` manifests; the platform only
provides the namespace (default-deny), the Gateway's `apps` listener for `*.<appsDomain>` and the gateway proxy's
egress to port 8080 there. For that to work an app must carry these labels, listen on this port, attach its
HTTPRoute to that listener under `<name>.<appsDomain>` and admit the gateway's proxies in its own NetworkPolicy.
`hosted_app_manifests` writes exactly that (and nothing else), camelCase as `kubectl apply` takes it: the platform
checks (`tests/platform`) host one such app on each render, and the scaffold's manifests can be compared with it.
"""

from __future__ import annotations

from typing import Any, Final

from infra import topology

SAMPLE_APP: Final = "hello"
"""The project name of the app the platform checks host."""
GATEWAY_API: Final = "gateway.networking.k8s.io/v1"
Manifest = dict[str, Any]


def app_labels(name: str) -> dict[str, str]:
    """The labels of a generated app's pods (and of its other objects)."""
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": topology.APPS_PART_OF}


def app_selector(name: str) -> dict[str, str]:
    """What an app's own objects select its pods by: its name is unique in the apps namespace."""
    return {"app.kubernetes.io/name": name}


def app_hostname(name: str, apps_domain: str) -> str:
    return f"{name}.{apps_domain}"


def _metadata(name: str) -> Manifest:
    return {"name": name, "namespace": topology.NAMESPACE_APPS, "labels": app_labels(name)}


def app_deployment(name: str) -> Manifest:
    """Only what the platform relies on: the pod labels and the port (the rest is the scaffold's)."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _metadata(name),
        "spec": {
            "selector": {"matchLabels": app_selector(name)},
            "template": {
                "metadata": {"labels": app_labels(name)},
                "spec": {
                    "containers": [
                        {
                            "name": name,
                            "image": f"registry.example/{name}:1",
                            "ports": [{"name": "http", "containerPort": topology.APPS_PORT, "protocol": "TCP"}],
                            "env": [{"name": "PORT", "value": str(topology.APPS_PORT)}],
                        }
                    ]
                },
            },
        },
    }


def app_service(name: str) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(name),
        "spec": {
            "selector": app_selector(name),
            "ports": [{"name": "http", "port": topology.APPS_PORT, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def app_network_policy(name: str) -> Manifest:
    """The app's own allow rule on top of the namespace's default deny: the gateway's proxies, on the app port."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _metadata(name),
        "spec": {
            "podSelector": {"matchLabels": app_selector(name)},
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": topology.NAMESPACE_GATEWAY}
                            },
                            "podSelector": {
                                "matchLabels": {"gateway.networking.k8s.io/gateway-name": topology.GATEWAY_NAME}
                            },
                        }
                    ],
                    "ports": [{"port": topology.APPS_PORT, "protocol": "TCP"}],
                }
            ],
        },
    }


def app_route(name: str, apps_domain: str) -> Manifest:
    """Attached to the `apps` listener of the platform's Gateway, for the app's own hostname only."""
    return {
        "apiVersion": GATEWAY_API,
        "kind": "HTTPRoute",
        "metadata": _metadata(name),
        "spec": {
            "parentRefs": [
                {
                    "group": "gateway.networking.k8s.io",
                    "kind": "Gateway",
                    "name": topology.GATEWAY_NAME,
                    "namespace": topology.NAMESPACE_GATEWAY,
                    "sectionName": topology.APPS_LISTENER,
                }
            ],
            "hostnames": [app_hostname(name, apps_domain)],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                    "backendRefs": [{"kind": "Service", "name": name, "port": topology.APPS_PORT}],
                }
            ],
        },
    }


def hosted_app_manifests(name: str, apps_domain: str) -> list[Manifest]:
    """Every object of a generated app that the platform depends on."""
    return [app_deployment(name), app_service(name), app_network_policy(name), app_route(name, apps_domain)]
