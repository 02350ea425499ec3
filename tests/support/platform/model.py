"""A render as the cross-layer checks see it: the manifests, the resources and outputs of `resources.json`, and the
pods every workload would run (rendered templates, plus the model of the pods Helm releases and kgateway create).

`Render.load(dir)` reads what `make render` writes; `Render.broken(edit)` is a deep copy with one deliberate
mistake, so that each check is shown to fail on it.
"""

from __future__ import annotations

import copy
import ipaddress
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Object = dict[str, Any]
POD_CIDR = ipaddress.IPv4Network("10.244.0.0/16")
"""Addresses handed to the modelled pods (a private range, like both clusters' pod ranges)."""
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job")
CLUSTER_NAMESPACES = ("kube-system", "default")
"""Namespaces every cluster has, besides the ones the render declares."""


@dataclass(frozen=True)
class ContainerPort:
    name: str | None
    number: int
    protocol: str = "TCP"


@dataclass
class Pod:
    """One pod of a workload (all replicas of a workload look alike to every check here)."""

    workload: str
    """`<Kind>/<name>`, e.g. `Deployment/generator`."""
    namespace: str
    labels: dict[str, str]
    ports: list[ContainerPort]
    address: str = ""
    spec: Object | None = None
    """The rendered pod spec; None for a modelled (Helm- or controller-made) pod."""
    service_account: str | None = None

    @property
    def kind(self) -> str:
        return self.workload.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.workload.split("/", 1)[1]

    def port(self, reference: int | str, protocol: str = "TCP") -> ContainerPort | None:
        """The container port a Service targetPort, probe or policy port names (by name or number)."""
        for port in self.ports:
            if port.protocol == protocol and (port.name == reference or port.number == reference):
                return port
        return None


@dataclass
class Render:
    stack: str
    objects: list[Object]
    resources: list[Object]
    outputs: dict[str, Any]

    @classmethod
    def load(cls, directory: Path) -> Render:
        document = json.loads((directory / "resources.json").read_text())
        objects = [yaml.safe_load(path.read_text()) for path in sorted((directory / "manifests").glob("*.yaml"))]
        return cls(document["stack"], objects, document["resources"], document["outputs"])

    def broken(self, edit: Callable[[Render], object]) -> Render:
        """A deep copy with `edit` applied (it mutates the copy in place)."""
        copied = copy.deepcopy(self)
        edit(copied)
        return copied

    def of_kind(self, kind: str) -> list[Object]:
        return [o for o in self.objects if o["kind"] == kind]

    def modelled(self) -> list[Object]:
        """Services and ServiceAccounts that Helm releases and controllers create (`tests.support.platform.helm`)."""
        from tests.support.platform.helm import modelled_objects

        return modelled_objects(self)

    def find(self, kind: str, namespace: str | None, name: str) -> Object | None:
        for obj in [*self.objects, *self.modelled()]:
            meta = obj["metadata"]
            if obj["kind"] == kind and meta["name"] == name and meta.get("namespace") == namespace:
                return obj
        return None

    def one(self, kind: str, namespace: str | None, name: str) -> Object:
        found = self.find(kind, namespace, name)
        if found is None:
            raise KeyError(f"{kind} {namespace}/{name} is not in the {self.stack} render")
        return found

    def namespaces(self) -> dict[str, dict[str, str]]:
        """Namespace name -> labels, as the API server sets them (`kubernetes.io/metadata.name` included)."""
        found = {o["metadata"]["name"]: dict(o["metadata"].get("labels") or {}) for o in self.of_kind("Namespace")}
        for name in CLUSTER_NAMESPACES:
            found.setdefault(name, {})
        return {name: {**labels, "kubernetes.io/metadata.name": name} for name, labels in found.items()}

    def releases(self) -> list[Object]:
        """The inputs of every Helm release (chart, name, namespace, values)."""
        return [r["inputs"] for r in self.resources if r["type"] == "kubernetes:helm.sh/v3:Release"]

    def release(self, chart: str) -> Object | None:
        return next((release for release in self.releases() if release["chart"].endswith(chart)), None)

    def azure(self, type_token: str) -> list[Object]:
        return [r for r in self.resources if r["type"] == f"azure-native:{type_token}"]

    def services(self) -> list[Object]:
        return [*self.of_kind("Service"), *(o for o in self.modelled() if o["kind"] == "Service")]

    def pods(self) -> list[Pod]:
        """The pods of every rendered workload, then the modelled ones, each with its own address."""
        from tests.support.platform.helm import modelled_pods

        pods = [rendered_pod(obj) for obj in self.objects if obj["kind"] in WORKLOAD_KINDS]
        pods += modelled_pods(self)
        hosts = POD_CIDR.hosts()
        for pod in pods:
            pod.address = str(next(hosts))
        return pods


def pod_template(workload: Object) -> Object:
    """The pod template of a Deployment, StatefulSet, DaemonSet or Job."""
    return dict(workload["spec"]["template"])


def generator_container(render: Render) -> Object:
    """The rendered generator Deployment's one container."""
    (container,) = pod_template(render.one("Deployment", "generator", "generator"))["spec"]["containers"]
    return container


def rendered_pod(workload: Object) -> Pod:
    template = pod_template(workload)
    spec = template["spec"]
    ports = [
        ContainerPort(port.get("name"), int(port["containerPort"]), port.get("protocol", "TCP"))
        for container in spec.get("containers", [])
        for port in container.get("ports", [])
    ]
    return Pod(
        workload=f"{workload['kind']}/{workload['metadata']['name']}",
        namespace=workload["metadata"]["namespace"],
        labels=dict(template.get("metadata", {}).get("labels") or {}),
        ports=ports,
        spec=spec,
        service_account=spec.get("serviceAccountName", "default"),
    )


def selects(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """Kubernetes label selector semantics: `matchLabels` and `matchExpressions` (In, NotIn, Exists,
    DoesNotExist) all hold; an empty selector selects everything. A Service's plain map is `matchLabels`."""
    if not selector:
        return True
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        selector = {"matchLabels": selector}
    if any(labels.get(key) != value for key, value in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def containers(pod_spec: Object) -> Iterator[Object]:
    yield from pod_spec.get("initContainers", [])
    yield from pod_spec.get("containers", [])


def env_value(pod: Pod, name: str) -> str | None:
    """The literal value of an environment variable of the pod's first container that sets it."""
    for container in containers(pod.spec or {}):
        for var in container.get("env", []):
            if var["name"] == name and "value" in var:
                return str(var["value"])
    return None
