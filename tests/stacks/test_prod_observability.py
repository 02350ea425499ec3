"""prod's observability path under mocks: the whole prod program with its committed config, so Loki's Azure Blob
storage, its workload identity and the HTTPS dashboard URLs are checked exactly as prod declares them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from infra.render import RenderResult, write_render
from infra.render.mocks import _azure_guid
from tests.support import RenderStack, validate_builtin_kinds

MARKER = "PROD-OBS-grafana-password-31f0"


@pytest.fixture(scope="module")
def prod(render_stack: RenderStack) -> RenderResult:
    return render_stack("prod", secrets={"grafanaAdminPassword": MARKER})


def test_prod_loki_writes_to_the_programs_blob_container(prod: RenderResult) -> None:
    values = prod.named("observability-loki").inputs["values"]
    assert values["loki"]["storage"]["type"] == "azure"
    account = prod.named("loki-logs-account").inputs["accountName"]
    assert values["loki"]["storage"]["azure"]["accountName"] == account
    container = prod.named("loki-logs-container").inputs
    assert (container["accountName"], container["containerName"]) == (
        account,
        values["loki"]["storage"]["bucketNames"]["chunks"],
    )
    assert values["serviceAccount"]["annotations"] == {
        "azure.workload.identity/client-id": _azure_guid("client-loki-logs-identity")
    }
    assert prod.outputs["lokiStorage"] == "azureBlob"
    assert prod.named("loki-logs-blob-contributor").urn in prod.named("observability-loki").depends_on


def test_prod_dashboard_urls_are_https(prod: RenderResult) -> None:
    assert prod.outputs["dashboardUrls"]["generator"] == (
        "https://grafana.prompt2prod.example.com/d/prompt2prod-generator"
    )


def test_prod_volumes_use_the_aks_storage_class(prod: RenderResult) -> None:
    values = prod.named("observability-stack").inputs["values"]
    claim = values["prometheus"]["prometheusSpec"]["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["storageClassName"] == "managed-csi-premium"


def test_prod_render_has_no_secret_and_passes_the_schema_gate(prod: RenderResult, tmp_path: Path) -> None:
    write_render(prod, tmp_path)
    texts = [path.read_text() for path in tmp_path.rglob("*") if path.is_file()]
    assert not [text for text in texts if MARKER in text]
    for path in sorted((tmp_path / "manifests").glob("*.yaml")):
        document = yaml.safe_load(path.read_text())
        validate_builtin_kinds(document)
