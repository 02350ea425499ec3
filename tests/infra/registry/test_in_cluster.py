"""The dev registry: reachable by the K3s node over HTTP, hardened, and its images survive a destroy.

Guards: containerd refusing a plain-HTTP registry (no `registries.yaml` mirror); a registry running as root or
with a writable root filesystem; the image volume being deleted with the stack; probes that hit a 404.
"""

from __future__ import annotations

import yaml

from infra.config.registry import InClusterRegistrySettings
from infra.registry.in_cluster import (
    InClusterRegistry,
    InClusterRegistryArgs,
    image_reference,
    login_server,
    registries_yaml,
    registry_container,
)
from infra.render import RenderResult
from tests.support import REPO
from tests.support.render import render_component

SETTINGS = InClusterRegistrySettings(node_port=30555, storage_size="5Gi", image_digest="sha256:" + "a" * 64)
ARGS = InClusterRegistryArgs(config=SETTINGS, storage_class="local-path")


def render_registry(args: InClusterRegistryArgs = ARGS) -> RenderResult:
    return render_component(lambda opts: {"loginServer": InClusterRegistry("registry", args, opts=opts).login_server})


def test_registries_yaml_mirrors_the_node_port_over_http() -> None:
    document = yaml.safe_load(registries_yaml(30555))
    assert document == {"mirrors": {"localhost:30555": {"endpoint": ["http://localhost:30555"]}}}


def test_login_server_is_the_node_port_on_loopback() -> None:
    assert login_server(30555) == "localhost:30555"


def test_image_is_pinned_by_tag_and_digest() -> None:
    assert image_reference(SETTINGS) == f"registry:2.8.3@sha256:{'a' * 64}"
    assert image_reference(InClusterRegistrySettings(image_digest=None)) == "registry:2.8.3"


def test_container_is_non_root_with_read_only_root_filesystem() -> None:
    context = registry_container(SETTINGS)["security_context"]
    assert isinstance(context, dict)
    assert context["run_as_non_root"] is True
    assert context["run_as_user"] >= 10000  # type: ignore[operator]
    assert context["read_only_root_filesystem"] is True
    assert context["allow_privilege_escalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}


def test_render_declares_the_registry_objects_in_its_namespace() -> None:
    result = render_registry()
    kinds = sorted(r.type.rsplit(":", 1)[1] for r in result.resources if r.type.startswith("kubernetes:") and r.custom)
    assert kinds == ["Deployment", "NetworkPolicy", "PersistentVolumeClaim", "Service", "ServiceAccount"]
    namespaces = {r.inputs["metadata"]["namespace"] for r in result.resources if r.type.startswith("kubernetes:core")}
    assert namespaces == {"registry"}
    assert result.outputs["loginServer"] == "localhost:30555"


def test_image_volume_is_retained_when_the_stack_is_destroyed() -> None:
    claim = render_registry().named("registry-data")
    assert claim.options["retainOnDelete"] is True
    assert claim.inputs["spec"]["storageClassName"] == "local-path"
    assert claim.inputs["spec"]["resources"]["requests"]["storage"] == "5Gi"


def test_deployment_mounts_the_claim_and_probes_v2() -> None:
    result = render_registry()
    spec = result.named("registry-deployment").inputs["spec"]
    pod = spec["template"]["spec"]
    assert spec["strategy"]["type"] == "Recreate"  # ReadWriteOnce volume: never two pods at once
    assert {"name": "data", "persistentVolumeClaim": {"claimName": "registry-data"}} in pod["volumes"]
    assert pod["securityContext"]["fsGroup"] == 10000
    assert pod["automountServiceAccountToken"] is False
    container = pod["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/v2/"
    assert container["livenessProbe"]["httpGet"]["path"] == "/v2/"
    assert result.named("registry-sa").inputs["automountServiceAccountToken"] is False


def test_service_exposes_the_configured_node_port() -> None:
    service = render_registry().named("registry-service").inputs["spec"]
    assert service["type"] == "NodePort"
    assert service["ports"][0]["nodePort"] == 30555
    assert service["ports"][0]["targetPort"] == "http"


def test_network_policy_opens_only_the_registry_port_and_no_egress() -> None:
    policy = render_registry().named("registry-netpol").inputs["spec"]
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    assert policy["ingress"] == [{"ports": [{"port": 5000, "protocol": "TCP"}]}]
    assert policy.get("egress", []) == []


def test_docs_show_the_registries_yaml_the_code_produces() -> None:
    page = (REPO / "docs" / "clusters.md").read_text()
    section = page[page.index("## Registry") : page.index("## Secret store")]
    snippet = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert yaml.safe_load(snippet) == yaml.safe_load(registries_yaml(30500))
