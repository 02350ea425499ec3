"""The whole dev program with observability wired in: outputs users read and the Grafana password's path."""

from __future__ import annotations

import json

from tests.support import RenderStack

MARKER = "OBS-grafana-admin-password-from-config-7a7a"


def test_dashboard_urls_and_retention_are_outputs(render_stack: RenderStack) -> None:
    outputs = render_stack("dev").outputs
    assert outputs["dashboardUrls"] == {
        "generator": "http://grafana.prompt2prod.localhost/d/prompt2prod-generator",
        "ollama": "http://grafana.prompt2prod.localhost/d/prompt2prod-ollama",
        "gateway": "http://grafana.prompt2prod.localhost/d/prompt2prod-gateway",
        "overview": "http://grafana.prompt2prod.localhost/d/prompt2prod-overview",
    }
    assert (outputs["prometheusRetention"], outputs["prometheusRetentionSize"], outputs["lokiRetention"]) == (
        "15d",
        "8GB",
        "168h",
    )
    assert outputs["lokiStorage"] == "filesystem"


def test_dashboard_urls_are_https_when_the_gateway_has_tls(render_stack: RenderStack) -> None:
    outputs = render_stack("dev", {"gateway": {"tls": "selfSigned"}}).outputs
    assert outputs["dashboardUrls"]["overview"] == "https://grafana.prompt2prod.localhost/d/prompt2prod-overview"


def test_retention_follows_config(render_stack: RenderStack) -> None:
    result = render_stack("dev", {"observability": {"prometheus": {"retention": "30d"}, "loki": {"retention": "72h"}}})
    values = result.named("observability-stack").inputs["values"]
    assert values["prometheus"]["prometheusSpec"]["retention"] == "30d"
    assert result.named("observability-loki").inputs["values"]["loki"]["limits_config"]["retention_period"] == "72h"
    assert (result.outputs["prometheusRetention"], result.outputs["lokiRetention"]) == ("30d", "72h")


def test_volumes_use_the_clusters_storage_class(render_stack: RenderStack) -> None:
    values = render_stack("dev").named("observability-stack").inputs["values"]
    claim = values["prometheus"]["prometheusSpec"]["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["storageClassName"] == "local-path"
    assert values["grafana"]["persistence"]["storageClassName"] == "local-path"


def test_configured_grafana_password_is_used_and_never_in_helm_values(render_stack: RenderStack) -> None:
    result = render_stack("dev", secrets={"grafanaAdminPassword": MARKER})
    generated = [r.name for r in result.of_type("random:index/randomPassword:RandomPassword")]
    assert "grafana-admin-password" not in generated
    releases = result.of_type("kubernetes:helm.sh/v3:Release")
    assert len([r for r in releases if r.inputs["namespace"] == "monitoring"]) == 3
    for release in releases:
        text = json.dumps(release.inputs)
        assert MARKER not in text
        assert "[secret]" not in text


def test_generated_grafana_password_without_config(render_stack: RenderStack) -> None:
    password = render_stack("dev").named("grafana-admin-password")
    assert password.inputs["length"] == 32
