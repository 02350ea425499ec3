"""Gateway API CRDs -> kgateway CRDs -> kgateway, pinned and in that order; controller values fit the namespace.

Guards the "no matches for kind" race: the kgateway charts must not start before the Gateway
API CRDs, and a PSA `restricted` namespace rejects the chart's default (empty) security context.
"""

from __future__ import annotations

from infra import versions
from infra.config.gateway import ControllerConfig
from infra.gateway.kgateway import GATEWAY_API_CRDS_URL, controller_values
from tests.support import RenderStack


def test_gateway_api_crds_are_a_pinned_standard_channel_release(render_stack: RenderStack) -> None:
    crds = render_stack("dev").of_type("kubernetes:yaml/v2:ConfigFile")
    assert [r.inputs["file"] for r in crds] == [GATEWAY_API_CRDS_URL]
    assert "/releases/download/v1.5.1/standard-install.yaml" in GATEWAY_API_CRDS_URL


def test_kgateway_charts_are_pinned_and_installed_after_the_gateway_api_crds(render_stack: RenderStack) -> None:
    result = render_stack("dev")
    gateway_api = result.named("kgateway-gateway-api-crds")
    crds, controller = result.named("kgateway-crds"), result.named("kgateway-controller")
    for release, chart in [(crds, versions.KGATEWAY_CRDS), (controller, versions.KGATEWAY)]:
        assert release.inputs["chart"] == f"{chart.repository}/{chart.name}"
        assert release.inputs["name"] == chart.name
        assert release.inputs["version"] == versions.KGATEWAY_VERSION
        assert release.inputs["namespace"] == "kgateway-system"
        assert release.inputs["atomic"] is True
    assert gateway_api.urn in crds.depends_on
    assert {gateway_api.urn, crds.urn} <= set(controller.depends_on)


def test_controller_runs_restricted_with_its_resources() -> None:
    values = controller_values(ControllerConfig())["controller"]
    assert values["podSecurityContext"]["runAsNonRoot"] is True
    assert values["podSecurityContext"]["runAsUser"] >= 10000
    assert values["podSecurityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert values["securityContext"] == {
        "runAsNonRoot": True,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert values["resources"] == {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"cpu": "1", "memory": "512Mi"},
    }
    assert values["image"]["pullPolicy"] == "IfNotPresent"


def test_a_single_controller_has_no_disruption_budget() -> None:
    values = controller_values(ControllerConfig(replicas=1))["controller"]
    assert values["replicaCount"] == 1
    assert "podDisruptionBudget" not in values


def test_replicated_controller_keeps_one_up_during_drains() -> None:
    values = controller_values(ControllerConfig(replicas=2))["controller"]
    assert values["replicaCount"] == 2
    assert values["podDisruptionBudget"] == {"minAvailable": 1}
