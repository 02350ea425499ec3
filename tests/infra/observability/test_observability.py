"""The Observability component under Pulumi mocks: what it declares, in which order, and that no secret leaks.

Guards the promises that CRDs come before the monitors and rules that need them, that the Grafana password
reaches the cluster only inside a Secret (never in a Helm value), and that dev and prod differ only where meant.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from infra.config.observability import ObservabilityConfig
from infra.observability.observability import Observability, ObservabilityArgs, grafana_secret_values
from infra.observability.values import LokiBlobStorage
from infra.render import RenderResult
from infra.render.mocks import RecordedResource
from infra.secrets.store import KubernetesSecretStore, SecretMount
from tests.support.render import render_component

PASSWORD = "OBS-TEST-grafana-password-9f3e"  # a marker searched for in the render
RELEASE = "kubernetes:helm.sh/v3:Release"


def _render(blob: LokiBlobStorage | None = None) -> RenderResult:
    def build(opts: pulumi.ResourceOptions) -> dict[str, Any]:
        component = Observability(
            "observability",
            ObservabilityArgs(
                config=ObservabilityConfig(),
                storage_class="local-path",
                secret_store=KubernetesSecretStore(),
                grafana_admin_password=pulumi.Output.secret(PASSWORD),
                grafana_url="http://grafana.example",
                links={"Generator API": pulumi.Output.from_input("http://generator.example")},
                loki_blob=blob,
            ),
            opts=opts,
        )
        return {"urls": component.dashboard_urls}

    return render_component(build)


@pytest.fixture(scope="module")
def dev() -> RenderResult:
    return _render()


def _release(result: RenderResult, name: str) -> RecordedResource:
    return result.named(f"observability-{name}")


def _custom_resources(result: RenderResult) -> list[RecordedResource]:
    return [r for r in result.resources if r.type.startswith("kubernetes:monitoring.coreos.com/v1:")]


def test_three_helm_releases_in_the_monitoring_namespace(dev: RenderResult) -> None:
    # Which versions: tests/infra/test_versions.py (every release is a chart pinned in infra/versions.py).
    assert sorted(r.inputs["chart"] for r in dev.of_type(RELEASE)) == ["alloy", "kube-prometheus-stack", "loki"]
    assert {r.inputs["namespace"] for r in dev.of_type(RELEASE)} == {"monitoring"}


def test_monitors_and_rules_wait_for_the_operator_crds(dev: RenderResult) -> None:
    stack = _release(dev, "stack").urn
    resources = _custom_resources(dev)
    assert sorted(r.type.rsplit(":", 1)[1] for r in resources) == [
        "PodMonitor",
        "PodMonitor",
        "PrometheusRule",
    ]
    assert all(stack in r.depends_on for r in resources)
    assert stack in _release(dev, "loki").depends_on
    assert {stack, _release(dev, "loki").urn} <= set(_release(dev, "alloy").depends_on)


def test_the_stack_scrapes_the_generator_once_after_the_operator_crds(render_stack: Any) -> None:
    """The generator component owns its ServiceMonitor; this component must not declare a second one."""
    result = render_stack("dev")
    monitors = [r for r in _custom_resources(result) if r.inputs["kind"] == "ServiceMonitor"]
    (monitor,) = monitors
    assert monitor.inputs["metadata"] == {**monitor.inputs["metadata"], "name": "generator", "namespace": "generator"}
    assert monitor.inputs["spec"]["endpoints"] == [{"port": "http", "path": "/metrics"}]
    assert result.named("observability-stack").urn in monitor.depends_on


def test_slo_rules_are_one_prometheus_rule(dev: RenderResult) -> None:
    (rule,) = [r for r in _custom_resources(dev) if r.inputs["kind"] == "PrometheusRule"]
    names = {r.get("alert") for g in rule.inputs["spec"]["groups"] for r in g["rules"]}
    assert {"GeneratorErrorBudgetBurn", "OllamaNotReady", "ModelVolumeAlmostFull", "PodCrashLooping"} <= names


def test_grafana_password_is_only_in_a_secret(dev: RenderResult) -> None:
    stack = _release(dev, "stack")
    secret_name = stack.inputs["values"]["grafana"]["admin"]["existingSecret"]
    secret = dev.named(secret_name)
    assert secret.type == "kubernetes:core/v1:Secret"
    assert secret.inputs["stringData"] == {"admin-password": "[secret]", "admin-user": "[secret]"}
    assert secret.urn in stack.depends_on
    rendered = json.dumps([r.as_json() for r in dev.resources])
    assert PASSWORD not in rendered


def test_grafana_mounts_the_secret_store_volume(dev: RenderResult) -> None:
    grafana = _release(dev, "stack").inputs["values"]["grafana"]
    (mount,) = grafana["extraSecretMounts"]
    assert mount == {
        "name": "observability-grafana-secrets",
        "mountPath": "/var/run/secrets/prompt2prod",
        "readOnly": True,
        "secretName": grafana["admin"]["existingSecret"],
        "defaultMode": 0o440,
    }


def test_key_vault_style_mount_brings_csi_volume_and_identity() -> None:
    mount = SecretMount(
        volume={
            "name": "kv",
            "csi": {
                "driver": "secrets-store.csi.k8s.io",
                "read_only": True,
                "volume_attributes": {"secretProviderClass": "grafana"},
            },
        },
        mount_path="/mnt/kv",
        service_account_annotations={"azure.workload.identity/client-id": "cid"},
        pod_labels={"azure.workload.identity/use": "true"},
    )
    values = grafana_secret_values(mount)
    assert values["extraSecretMounts"][0]["csi"]["volumeAttributes"] == {"secretProviderClass": "grafana"}
    assert values["serviceAccount"] == {"annotations": {"azure.workload.identity/client-id": "cid"}}
    assert values["podLabels"] == {"azure.workload.identity/use": "true"}


def test_no_helm_value_is_secret(dev: RenderResult) -> None:
    for release in dev.of_type(RELEASE):
        assert "[secret]" not in json.dumps(release.inputs["values"]), release.name


def test_dashboards_are_config_maps_for_the_sidecar(dev: RenderResult) -> None:
    maps = [r for r in dev.of_type("kubernetes:core/v1:ConfigMap") if r.name.startswith("observability-dashboard-")]
    assert {r.inputs["metadata"]["name"] for r in maps} == {
        "dashboard-generator",
        "dashboard-ollama",
        "dashboard-gateway",
        "dashboard-overview",
    }
    assert all(r.inputs["metadata"]["labels"]["grafana_dashboard"] == "1" for r in maps)
    overview = next(r for r in maps if r.inputs["metadata"]["name"] == "dashboard-overview")
    assert "http://generator.example" in overview.inputs["data"]["overview.json"]


def test_dashboard_urls_use_grafana_url_and_uids(dev: RenderResult) -> None:
    assert dev.outputs["urls"]["generator"] == "http://grafana.example/d/prompt2prod-generator"


def test_dev_loki_on_filesystem_prod_loki_on_blob(dev: RenderResult) -> None:
    dev_storage = _release(dev, "loki").inputs["values"]["loki"]["storage"]
    assert dev_storage == {"type": "filesystem"}
    prod = _render(LokiBlobStorage(account_name="lokilogsx", container="loki", client_id="cid"))
    prod_values = _release(prod, "loki").inputs["values"]
    assert prod_values["loki"]["storage"]["azure"] == {"accountName": "lokilogsx", "useFederatedToken": True}
    assert prod_values["serviceAccount"]["annotations"] == {"azure.workload.identity/client-id": "cid"}
