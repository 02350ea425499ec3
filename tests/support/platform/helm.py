"""The pods, Services and ServiceAccounts that the program does not declare itself but that the cluster will run:
those of the Helm releases (their templates are not rendered), the Envoy proxy kgateway deploys for each Gateway,
and CoreDNS. Stated as data: the label sets and ports each chart's templates give them (at the pinned versions in
`infra.versions`), filled in with the release name and the values the render records for it, so that a value that
changes a label or a name (a `fullnameOverride`, `podLabels`) changes the model too.

Left out on purpose: host-network pods (node-exporter; NetworkPolicies do not apply to them) and the operator's
admission webhook Jobs (they run once at install).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from infra import topology
from infra.pod_spec import DNS_NAMESPACE, DNS_POD_SELECTOR
from tests.support.platform.model import ContainerPort, Object, Pod, Render

ChartModel = Callable[[str, str, Mapping[str, Any]], list["Modelled"]]
"""(release name, namespace, values) -> the workloads of the chart."""
# kgateway's deployer binds a listener below 1024 at that port plus 8000 inside the proxy (non-root Envoy).
PRIVILEGED_PORT_OFFSET = 8000
ENVOY_STATS_PORT = ContainerPort("http-monitoring", 9091)


@dataclass(frozen=True)
class Modelled:
    """One workload of a chart: its pod (labels, ports, ServiceAccount) and the Services in front of it."""

    pod: Pod
    services: tuple[Object, ...] = ()


def _get(values: Mapping[str, Any], *path: str) -> Any:
    found: Any = values
    for key in path:
        if not isinstance(found, Mapping):
            return None
        found = found.get(key)
    return found


def _pod(kind: str, name: str, namespace: str, labels: Mapping[str, str], ports: list[ContainerPort], sa: str) -> Pod:
    return Pod(f"{kind}/{name}", namespace, dict(labels), ports, service_account=sa)


def _service(name: str, pod: Pod, selector: Mapping[str, str], ports: list[tuple[str, int, int | str]]) -> Object:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": pod.namespace},
        "spec": {
            "selector": dict(selector),
            "ports": [{"name": n, "port": port, "targetPort": target, "protocol": "TCP"} for n, port, target in ports],
        },
    }


def kube_prometheus_stack(release: str, namespace: str, values: Mapping[str, Any]) -> list[Modelled]:
    full = values.get("fullnameOverride") or f"{release}-kube-prometheus-stack"
    prometheus, alertmanager = f"{full}-prometheus", f"{full}-alertmanager"
    grafana = _get(values, "grafana") or {}
    grafana_name = grafana.get("fullnameOverride") or f"{release}-grafana"
    grafana_kind = "StatefulSet" if _get(grafana, "persistence", "type") == "sts" else "Deployment"
    managed = {"app.kubernetes.io/managed-by": "prometheus-operator"}
    prometheus_pod = _pod(
        "StatefulSet",
        f"prometheus-{prometheus}",
        namespace,
        {
            **managed,
            "app.kubernetes.io/name": "prometheus",
            "app.kubernetes.io/instance": prometheus,
            "operator.prometheus.io/name": prometheus,
            "prometheus": prometheus,
            **(_get(values, "prometheus", "prometheusSpec", "podMetadata", "labels") or {}),
        },
        [ContainerPort("web", 9090)],
        prometheus,
    )
    grafana_selector = {"app.kubernetes.io/name": "grafana", "app.kubernetes.io/instance": release}
    grafana_pod = _pod(
        grafana_kind,
        grafana_name,
        namespace,
        {**grafana_selector, **(grafana.get("podLabels") or {})},
        [ContainerPort("grafana", topology.GRAFANA_CONTAINER_PORT)],
        _get(grafana, "serviceAccount", "name") or grafana_name,
    )
    return [
        Modelled(
            prometheus_pod,
            (
                _service(
                    prometheus,
                    prometheus_pod,
                    {"app.kubernetes.io/name": "prometheus", "operator.prometheus.io/name": prometheus},
                    [("http-web", 9090, 9090)],
                ),
            ),
        ),
        Modelled(
            _pod(
                "StatefulSet",
                f"alertmanager-{alertmanager}",
                namespace,
                {
                    **managed,
                    "app.kubernetes.io/name": "alertmanager",
                    "app.kubernetes.io/instance": alertmanager,
                    "alertmanager": alertmanager,
                },
                [ContainerPort("http-web", 9093)],
                alertmanager,
            )
        ),
        # The grafana chart's Service: port 80 to the container's 3000 (`service.port`, `service.targetPort`).
        Modelled(
            grafana_pod,
            (
                _service(
                    grafana_name, grafana_pod, grafana_selector, [("http-web", 80, topology.GRAFANA_CONTAINER_PORT)]
                ),
            ),
        ),
        Modelled(
            _pod(
                "Deployment",
                f"{full}-kube-state-metrics",
                namespace,
                {"app.kubernetes.io/name": "kube-state-metrics", "app.kubernetes.io/instance": release},
                [ContainerPort("http", 8080)],
                f"{full}-kube-state-metrics",
            )
        ),
        Modelled(
            _pod(
                "Deployment",
                f"{full}-operator",
                namespace,
                {"app": f"{full}-operator", "release": release},
                [ContainerPort("https", 10250)],
                f"{full}-operator",
            )
        ),
    ]


def loki(release: str, namespace: str, values: Mapping[str, Any]) -> list[Modelled]:
    """SingleBinary mode: one StatefulSet, and the main Service (named after the fullname) in front of it."""
    full = values.get("fullnameOverride") or release
    selector = {
        "app.kubernetes.io/name": "loki",
        "app.kubernetes.io/instance": release,
        "app.kubernetes.io/component": "single-binary",
    }
    pod = _pod(
        "StatefulSet",
        full,
        namespace,
        {**selector, **(_get(values, "loki", "podLabels") or {})},
        [ContainerPort("http-metrics", topology.LOKI_PORT), ContainerPort("grpc", 9095)],
        _get(values, "serviceAccount", "name") or full,
    )
    ports: list[tuple[str, int, int | str]] = [
        ("http-metrics", topology.LOKI_PORT, "http-metrics"),
        ("grpc", 9095, "grpc"),
    ]
    return [Modelled(pod, (_service(full, pod, selector, ports),))]


def alloy(release: str, namespace: str, values: Mapping[str, Any]) -> list[Modelled]:
    full = values.get("fullnameOverride") or release
    kinds = {"deployment": "Deployment", "statefulset": "StatefulSet"}
    kind = kinds.get(_get(values, "controller", "type") or "", "DaemonSet")
    labels = {"app.kubernetes.io/name": "alloy", "app.kubernetes.io/instance": release}
    pod = _pod(kind, full, namespace, labels, [ContainerPort("http-metrics", 12345)], full)
    return [Modelled(pod, (_service(full, pod, labels, [("http-metrics", 12345, 12345)]),))]


def kgateway(release: str, namespace: str, values: Mapping[str, Any]) -> list[Modelled]:
    labels = {"kgateway": "kgateway", "app.kubernetes.io/name": "kgateway", "app.kubernetes.io/instance": release}
    ports = [ContainerPort("grpc-xds", 9977), ContainerPort("health", 9093), ContainerPort("metrics", 9092)]
    pod = _pod("Deployment", release, namespace, labels, ports, release)
    return [Modelled(pod, (_service(release, pod, labels, [("grpc-xds", 9977, 9977)]),))]


CHARTS: dict[str, ChartModel] = {
    "kube-prometheus-stack": kube_prometheus_stack,
    "loki": loki,
    "alloy": alloy,
    "kgateway": kgateway,
}
"""Chart name (the last part of the release's `chart`) -> its workloads. Charts without pods (CRDs) are absent."""


def gateway_proxies(render: Render) -> list[Modelled]:
    """The Envoy Deployment kgateway runs per Gateway of its class, in the Gateway's namespace."""
    proxies = []
    for gateway in render.of_kind("Gateway"):
        if gateway["spec"]["gatewayClassName"] != topology.GATEWAY_CLASS:
            continue
        name, namespace = gateway["metadata"]["name"], gateway["metadata"]["namespace"]
        listeners = [
            ContainerPort(f"listener-{port}", port + PRIVILEGED_PORT_OFFSET if port < 1024 else port)
            for port in (int(listener["port"]) for listener in gateway["spec"]["listeners"])
        ]
        labels = {
            "app.kubernetes.io/name": name,
            "app.kubernetes.io/instance": name,
            "gateway.networking.k8s.io/gateway-name": name,
        }
        proxies.append(Modelled(_pod("Deployment", name, namespace, labels, [*listeners, ENVOY_STATS_PORT], name)))
    return proxies


def cluster_dns() -> Modelled:
    ports = [ContainerPort("dns", 53, "UDP"), ContainerPort("dns-tcp", 53), ContainerPort("metrics", 9153)]
    pod = _pod("Deployment", "coredns", DNS_NAMESPACE, DNS_POD_SELECTOR, ports, "coredns")
    service = _service("kube-dns", pod, DNS_POD_SELECTOR, [("dns-tcp", 53, "dns-tcp")])
    service["spec"]["ports"].append({"name": "dns", "port": 53, "targetPort": "dns", "protocol": "UDP"})
    return Modelled(pod, (service,))


def modelled(render: Render) -> list[Modelled]:
    found = [cluster_dns(), *gateway_proxies(render)]
    for release in render.releases():
        model = CHARTS.get(release["chart"].rsplit("/", 1)[-1])
        if model is not None:
            found += model(release.get("name") or release["chart"], release["namespace"], release.get("values") or {})
    return found


def modelled_pods(render: Render) -> list[Pod]:
    return [entry.pod for entry in modelled(render)]


def modelled_objects(render: Render) -> list[Object]:
    """The Services and ServiceAccounts that come with the modelled pods (what routes, URLs and pods refer to)."""
    objects: list[Object] = []
    for entry in modelled(render):
        objects += entry.services
        if entry.pod.service_account:
            metadata = {"name": entry.pod.service_account, "namespace": entry.pod.namespace}
            objects.append({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata})
    return objects
