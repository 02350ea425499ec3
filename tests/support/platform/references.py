"""Checks that every name one object gives resolves to another object of the render (or of a modelled Helm release):
Service selectors and target ports, workload/PDB/HPA/spread selectors, what pods mount and run as, the URLs they
are configured with, their probes, and the objects the Helm values point at. Each check returns its problems.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from tests.support.platform.model import Object, Pod, Render, containers, pod_template, selects

# Paths each third-party image serves (its own API), for the probes that hit them.
SERVED_PATHS: dict[str, frozenset[str]] = {
    "docker.io/ollama/ollama": frozenset({"/api/version", "/api/tags", "/api/ps"}),
    "registry": frozenset({"/v2/"}),
}
IN_CLUSTER_HOST = re.compile(r"^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?$")


def selected_pods(render: Render, namespace: str, selector: Any) -> list[Pod]:
    return [pod for pod in render.pods() if pod.namespace == namespace and selects(selector, pod.labels)]


def service_problems(render: Render) -> list[str]:
    """Every Service selects pods, and each port's targetPort is a port those pods have (by name or number)."""
    problems = []
    for service in render.of_kind("Service"):
        where = f"Service {service['metadata']['namespace']}/{service['metadata']['name']}"
        pods = selected_pods(render, service["metadata"]["namespace"], service["spec"].get("selector"))
        if not pods:
            problems.append(f"{where}: its selector matches no pod")
        for port in service["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            for pod in pods:
                if pod.port(target, port.get("protocol", "TCP")) is None:
                    problems.append(f"{where}: targetPort {target!r} is not a port of {pod.workload}")
    return problems


def workload_selector_problems(render: Render) -> list[str]:
    """Controllers select their own template; PDBs select one workload's pods; HPAs scale a workload that exists;
    spread constraints count the pod's own kind."""
    problems = []
    pods = render.pods()
    for workload in [o for o in render.objects if o["kind"] in ("Deployment", "StatefulSet", "DaemonSet")]:
        labels = pod_template(workload).get("metadata", {}).get("labels") or {}
        where = f"{workload['kind']} {workload['metadata']['namespace']}/{workload['metadata']['name']}"
        if not selects(workload["spec"]["selector"], labels):
            problems.append(f"{where}: its selector does not match its own pod template")
        for constraint in pod_template(workload)["spec"].get("topologySpreadConstraints", []):
            if not selects(constraint.get("labelSelector"), labels):
                problems.append(f"{where}: spread constraint on {constraint['topologyKey']} counts other pods")
    for budget in render.of_kind("PodDisruptionBudget"):
        namespace, name = budget["metadata"]["namespace"], budget["metadata"]["name"]
        owners = {
            p.workload for p in pods if p.namespace == namespace and selects(budget["spec"]["selector"], p.labels)
        }
        if len(owners) != 1:
            problems.append(f"PodDisruptionBudget {namespace}/{name} selects the pods of {sorted(owners) or 'nothing'}")
    for hpa in render.of_kind("HorizontalPodAutoscaler"):
        target = hpa["spec"]["scaleTargetRef"]
        if render.find(target["kind"], hpa["metadata"]["namespace"], target["name"]) is None:
            problems.append(f"HorizontalPodAutoscaler {hpa['metadata']['name']}: no {target['kind']} {target['name']}")
    return problems


def _mounted_classes(values: Any) -> Iterator[str]:
    """Every `secretProviderClass` a Helm release's values mount (CSI volume attributes, at any depth)."""
    if isinstance(values, dict):
        for key, value in values.items():
            if key == "secretProviderClass" and isinstance(value, str):
                yield value
            else:
                yield from _mounted_classes(value)
    elif isinstance(values, list):
        for item in values:
            yield from _mounted_classes(item)


def provider_class_mounted(render: Render, namespace: str, name: str) -> bool:
    """Whether a rendered pod or a Helm release's pod mounts the SecretProviderClass `namespace/name`."""
    for pod in render.pods():
        volumes = (pod.spec or {}).get("volumes", [])
        classes = {v.get("csi", {}).get("volumeAttributes", {}).get("secretProviderClass") for v in volumes}
        if pod.namespace == namespace and name in classes:
            return True
    return any(
        release["namespace"] == namespace and name in set(_mounted_classes(release.get("values", {})))
        for release in render.releases()
    )


def secret_problem(render: Render, namespace: str, name: str) -> str | None:
    """None when the Secret exists: in the render, or synced by the Secrets Store CSI driver from a
    SecretProviderClass — which the driver does only while some pod mounts that class."""
    if render.find("Secret", namespace, name) is not None:
        return None
    classes = [
        spc["metadata"]["name"]
        for spc in render.of_kind("SecretProviderClass")
        if spc["metadata"]["namespace"] == namespace
        and any(synced["secretName"] == name for synced in spc["spec"].get("secretObjects", []))
    ]
    if not classes:
        return f"Secret {namespace}/{name} does not exist"
    if not any(provider_class_mounted(render, namespace, c) for c in classes):
        return f"Secret {namespace}/{name} is synced from SecretProviderClass {classes[0]}, which no pod mounts"
    return None


def _secret_exists(render: Render, namespace: str, name: str) -> bool:
    return secret_problem(render, namespace, name) is None


def _env_references(container: Object) -> Iterator[tuple[str, str, str]]:
    for var in container.get("env", []):
        source = var.get("valueFrom") or {}
        for key, kind in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
            if key in source:
                yield kind, source[key]["name"], source[key]["key"]
    for source in container.get("envFrom", []):
        for key, kind in (("secretRef", "Secret"), ("configMapRef", "ConfigMap")):
            if key in source:
                yield kind, source[key]["name"], ""


def url_problem(render: Render, url: str) -> str | None:
    """An in-cluster URL (`http://<service>.<namespace>.svc...:<port>`) names a Service with that port."""
    parts = urlsplit(url)
    match = IN_CLUSTER_HOST.match(parts.hostname or "") if parts.scheme in ("http", "https") else None
    if match is None:
        return None
    name, namespace = match.group(1), match.group(2)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    service = render.find("Service", namespace, name)
    if service is None:
        return f"{url}: no Service {namespace}/{name}"
    if port not in {p["port"] for p in service["spec"]["ports"]}:
        return f"{url}: Service {namespace}/{name} has no port {port}"
    return None


def pod_reference_problems(render: Render) -> list[str]:
    """What each rendered pod runs as, mounts, reads its environment from and calls exists."""
    problems = []
    for pod in render.pods():
        if pod.spec is None:
            continue
        spec, namespace = pod.spec, pod.namespace

        def missing(kind: str, name: str, pod: Pod = pod, namespace: str = namespace) -> None:
            problems.append(f"{pod.workload}: {kind} {namespace}/{name} does not exist")

        if render.find("ServiceAccount", namespace, spec.get("serviceAccountName", "default")) is None:
            missing("ServiceAccount", spec.get("serviceAccountName", "default"))
        for secret in spec.get("imagePullSecrets", []):
            if not _secret_exists(render, namespace, secret["name"]):
                missing("Secret", secret["name"])
        for volume in spec.get("volumes", []):
            if "secret" in volume and not _secret_exists(render, namespace, volume["secret"]["secretName"]):
                missing("Secret", volume["secret"]["secretName"])
            if "configMap" in volume and render.find("ConfigMap", namespace, volume["configMap"]["name"]) is None:
                missing("ConfigMap", volume["configMap"]["name"])
            claim = volume.get("persistentVolumeClaim", {}).get("claimName")
            if claim and render.find("PersistentVolumeClaim", namespace, claim) is None:
                missing("PersistentVolumeClaim", claim)
            provider_class = volume.get("csi", {}).get("volumeAttributes", {}).get("secretProviderClass")
            if provider_class and render.find("SecretProviderClass", namespace, provider_class) is None:
                missing("SecretProviderClass", provider_class)
        for container in containers(spec):
            for kind, name, key in _env_references(container):
                config_map = render.find(kind, namespace, name) if kind == "ConfigMap" else None
                if not (_secret_exists(render, namespace, name) if kind == "Secret" else config_map):
                    missing(kind, name)
                elif config_map is not None and key and key not in config_map.get("data", {}):
                    problems.append(f"{pod.workload}: ConfigMap {namespace}/{name} has no key {key}")
            for var in container.get("env", []):
                problem = url_problem(render, str(var.get("value", "")))
                if problem:
                    problems.append(f"{pod.workload}: env {var['name']}: {problem}")
    return problems


def _served_paths(image: str) -> frozenset[str] | None:
    from app.main import app

    repository = image.split("@", 1)[0].rsplit(":", 1)[0] if "/" in image else image.split(":", 1)[0]
    if repository.endswith("/prompt2prod-generator"):
        # The service's own routes, as it documents them (every route is in its OpenAPI document).
        return frozenset(app.openapi()["paths"])
    return SERVED_PATHS.get(repository)


def probe_problems(render: Render) -> list[str]:
    """Probes hit a port the container has and a path its server serves."""
    problems = []
    for pod in render.pods():
        for container in containers(pod.spec or {}):
            names = {p.get("name") for p in container.get("ports", [])}
            numbers = {p["containerPort"] for p in container.get("ports", [])}
            for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
                action = container.get(kind, {}).get("httpGet") or container.get(kind, {}).get("tcpSocket")
                if action is None:
                    continue
                where = f"{pod.workload} {container['name']} {kind}"
                if action["port"] not in names | numbers:
                    problems.append(f"{where}: port {action['port']!r} is not a port of the container")
                served = _served_paths(container["image"])
                path = action.get("path")
                if path is not None and (served is None or path not in served):
                    problems.append(f"{where}: {path} is not a path its server serves")
    return problems


def helm_value_problems(render: Render) -> list[str]:
    """Objects and URLs the monitoring charts are told to use exist: Grafana's admin Secret and data sources,
    Alloy's Loki endpoint."""
    problems = []
    stack = render.release("kube-prometheus-stack")
    if stack is not None:
        grafana = stack["values"]["grafana"]
        secret = grafana.get("admin", {}).get("existingSecret")
        if secret and not _secret_exists(render, stack["namespace"], secret):
            problems.append(f"grafana admin.existingSecret: Secret {stack['namespace']}/{secret} does not exist")
        for source in grafana.get("additionalDataSources", []):
            problem = url_problem(render, source["url"])
            if problem:
                problems.append(f"grafana data source {source['name']}: {problem}")
    alloy = render.release("alloy")
    if alloy is not None:
        for url in re.findall(r'url\s*=\s*"([^"]+)"', alloy["values"]["alloy"]["configMap"]["content"]):
            problem = url_problem(render, url)
            if problem:
                problems.append(f"alloy config: {problem}")
    return problems
