"""docs/configuration.md shows, for each environment, the values its render really uses.

Each environment's smallest stack (its required keys set to the page's examples) is rendered, and the value each
key below ends up as in the objects, Helm values and Azure resources is compared with the page's cell. Guards the
page that promised 128Mi for the generator (the render said 192Mi), 100m/128Mi for Ollama (1/4Gi) and one gateway
replica in prod (two).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from infra.config import PROJECT
from infra.config.environments import ENVIRONMENTS, Environment, minimal_config
from infra.config.reference import NOT_USED
from infra.render import RenderResult, run_program
from tests.support import REPO

ROW = re.compile(r"^\| `(?P<key>[^`]+)` \| [^|]* \| (?P<dev>[^|]*) \| (?P<prod>[^|]*) \|")
CELL = re.compile(r"`(?P<value>[^`]*)`$")


def page_cells() -> dict[str, dict[str, str]]:
    text = (REPO / "docs" / "configuration.md").read_text()
    return {m["key"]: {"dev": m["dev"], "prod": m["prod"]} for m in map(ROW.match, text.splitlines()) if m}


def documented(cell: str) -> str:
    """The value in a cell (`192Mi`, `2`, `["1", "2"]`, or the example of `required, e.g. ...`), as written."""
    match = CELL.search(cell)
    assert match, f"no value in the cell {cell!r}"
    return match["value"]


def as_written(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def inputs(result: RenderResult, name: str, *path: str | int) -> Any:
    node: Any = result.named(name).inputs
    for part in path:
        node = node[part]
    return node


def container(result: RenderResult, name: str, *path: str) -> Any:
    return inputs(result, name, "spec", "template", "spec", "containers", 0, "resources", *path)


def helm(result: RenderResult, release: str, *path: str) -> Any:
    return inputs(result, release, "values", *path)


Locate = Callable[[RenderResult], Any]
RESOURCES = {"cpuRequest": ("requests", "cpu"), "memoryRequest": ("requests", "memory"),
             "cpuLimit": ("limits", "cpu"), "memoryLimit": ("limits", "memory")}  # fmt: skip

LOCATORS: dict[str, Locate] = {
    "generator.replicas": lambda r: inputs(r, "generator-hpa", "spec", "minReplicas"),
    "generator.maxReplicas": lambda r: inputs(r, "generator-hpa", "spec", "maxReplicas"),
    "generator.targetCpuUtilization": lambda r: inputs(
        r, "generator-hpa", "spec", "metrics", 0, "resource", "target", "averageUtilization"
    ),
    "ollama.storage.size": lambda r: inputs(r, "ollama-models", "spec", "resources", "requests", "storage"),
    "ollama.preloadBackoffLimit": lambda r: inputs(r, "ollama-preload", "spec", "backoffLimit"),
    "gateway.controller.replicas": lambda r: helm(r, "kgateway-controller", "controller", "replicaCount"),
    "gateway.proxy.replicas": lambda r: inputs(r, "gateway-proxy", "spec", "kube", "deployment", "replicas"),
    "gateway.tls": lambda r: (
        "none"
        if all(listener["protocol"] == "HTTP" for listener in inputs(r, "gateway-gateway", "spec", "listeners"))
        else "selfSigned"
    ),
    "gateway.generatorHostname": lambda r: inputs(r, "gateway-route-generator", "spec", "hostnames", 0),
    "observability.prometheus.retention": lambda r: helm(
        r, "observability-stack", "prometheus", "prometheusSpec", "retention"
    ),
    "observability.prometheus.retentionSize": lambda r: helm(
        r, "observability-stack", "prometheus", "prometheusSpec", "retentionSize"
    ),
    "observability.prometheus.scrapeInterval": lambda r: helm(
        r, "observability-stack", "prometheus", "prometheusSpec", "scrapeInterval"
    ),
    "observability.grafana.storageSize": lambda r: helm(r, "observability-stack", "grafana", "persistence", "size"),
    "observability.loki.storageSize": lambda r: helm(r, "observability-loki", "singleBinary", "persistence", "size"),
    "observability.loki.retention": lambda r: helm(
        r, "observability-loki", "loki", "limits_config", "retention_period"
    ),
    "observability.alertmanagerRetention": lambda r: helm(
        r, "observability-stack", "alertmanager", "alertmanagerSpec", "retention"
    ),
    "observability.replicas": lambda r: helm(r, "observability-stack", "prometheus", "prometheusSpec", "replicas"),
    "registry.inCluster.nodePort": lambda r: inputs(r, "registry-service", "spec", "ports", 0, "nodePort"),
    "cluster.aks.kubernetesVersion": lambda r: inputs(r, "prompt2prod-aks", "kubernetesVersion"),
    "cluster.aks.skuTier": lambda r: inputs(r, "prompt2prod-aks", "sku", "tier"),
    "cluster.aks.podCidr": lambda r: inputs(r, "prompt2prod-aks", "networkProfile", "podCidr"),
    "cluster.aks.serviceCidr": lambda r: inputs(r, "prompt2prod-aks", "networkProfile", "serviceCidr"),
    "cluster.aks.dnsServiceIp": lambda r: inputs(r, "prompt2prod-aks", "networkProfile", "dnsServiceIP"),
    "cluster.aks.networkPolicy": lambda r: inputs(r, "prompt2prod-aks", "networkProfile", "networkPolicy"),
}
for _field, _path in RESOURCES.items():
    LOCATORS |= {
        f"generator.resources.{_field}": lambda r, p=_path: container(r, "generator-deployment", *p),
        f"ollama.resources.{_field}": lambda r, p=_path: container(r, "ollama-server", *p),
        f"gateway.controller.resources.{_field}": lambda r, p=_path: helm(
            r, "kgateway-controller", "controller", "resources", *p
        ),
        f"gateway.proxy.resources.{_field}": lambda r, p=_path: inputs(
            r, "gateway-proxy", "spec", "kube", "envoyContainer", "resources", *p
        ),
        f"observability.prometheus.resources.{_field}": lambda r, p=_path: helm(
            r, "observability-stack", "prometheus", "prometheusSpec", "resources", *p
        ),
        f"observability.grafana.resources.{_field}": lambda r, p=_path: helm(
            r, "observability-stack", "grafana", "resources", *p
        ),
        f"observability.loki.resources.{_field}": lambda r, p=_path: helm(
            r, "observability-loki", "singleBinary", "resources", *p
        ),
    }
for _pool, _locate in (
    ("systemPool", lambda r: inputs(r, "prompt2prod-aks", "agentPoolProfiles", 0)),
    ("userPool", lambda r: inputs(r, "prompt2prod-user")),
):
    LOCATORS |= {
        f"cluster.aks.{_pool}.vmSize": lambda r, at=_locate: at(r)["vmSize"],
        f"cluster.aks.{_pool}.minCount": lambda r, at=_locate: at(r)["minCount"],
        f"cluster.aks.{_pool}.maxCount": lambda r, at=_locate: at(r)["maxCount"],
        f"cluster.aks.{_pool}.maxPods": lambda r, at=_locate: at(r)["maxPods"],
        f"cluster.aks.{_pool}.zones": lambda r, at=_locate: at(r)["availabilityZones"],
    }


@pytest.fixture(scope="module")
def smallest_renders() -> dict[str, RenderResult]:
    renders = {}
    for environment in ENVIRONMENTS:
        document = minimal_config(environment)
        values = {f"{PROJECT}:{key}": json.dumps(value) for key, value in document.items() if key != "environment"}
        renders[environment] = run_program(environment, {**values, f"{PROJECT}:environment": environment}, frozenset())
    return renders


@pytest.mark.parametrize("environment", list(ENVIRONMENTS))
def test_the_page_shows_the_values_each_render_uses(
    environment: Environment, smallest_renders: dict[str, RenderResult]
) -> None:
    cells = page_cells()
    assert set(LOCATORS) <= set(cells), f"keys not on the page: {sorted(set(LOCATORS) - set(cells))}"
    wrong = []
    for key, locate in LOCATORS.items():
        cell = cells[key][environment]
        if cell == NOT_USED:
            continue
        rendered = locate(smallest_renders[environment])
        if documented(cell) != as_written(rendered):
            wrong.append(f"{key}: the page says {cell}, the {environment} render uses {rendered!r}")
    assert not wrong, "\n".join(wrong)


def test_keys_marked_not_used_are_absent_from_that_render(smallest_renders: dict[str, RenderResult]) -> None:
    cells = page_cells()
    assert cells["cluster.k3s.host"]["prod"] == NOT_USED
    assert not smallest_renders["prod"].of_type("prompt2prod:index:K3sCluster")
    assert cells["cluster.aks.skuTier"]["dev"] == NOT_USED
    assert not smallest_renders["dev"].of_type("azure-native:containerservice:ManagedCluster")
