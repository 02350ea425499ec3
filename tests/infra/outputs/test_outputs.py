"""The stack outputs contract: the committed schema matches the model, both stacks' outputs validate, and the
CLI writes what the dashboards and the job summary consume.

Guards against a field added to `StackOutputs` without regenerating the committed schema (consumers would
validate against a stale contract), a credential exported in clear, and links that point inside the cluster.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from infra.outputs.cli import OutputsError, main, overview_links, schema_text, summary, validate
from infra.outputs.contract import SCHEMA_COMMAND, SCHEMA_PATH, SECRET, SECRET_OUTPUTS, StackOutputs, export_outputs
from tests.support import REPO, RenderStack
from tests.support.render import render_component


@pytest.fixture
def dev_outputs(render_stack: RenderStack) -> dict[str, Any]:
    """A valid document with every current output (others add fields): the dev render's outputs."""
    return dict(render_stack("dev").document()["outputs"])


def run(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    return main(argv, stdout=out), out.getvalue()


def write(tmp_path: Path, document: Any) -> str:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(document))
    return str(path)


def test_committed_schema_matches_the_model() -> None:
    committed = (REPO / SCHEMA_PATH).read_text()
    assert committed == schema_text(), (
        f"{SCHEMA_PATH} is out of date with infra.outputs.contract.StackOutputs; regenerate it with: {SCHEMA_COMMAND}"
    )


def test_schema_is_versioned_and_marks_secrets() -> None:
    schema = json.loads(schema_text())
    assert schema["x-schema-version"] == schema["properties"]["schemaVersion"]["const"] == 1
    assert {name for name, spec in schema["properties"].items() if spec.get("x-pulumi-secret")} == SECRET_OUTPUTS


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_rendered_outputs_validate_against_the_model_and_the_committed_schema(
    render_stack: RenderStack, stack: str, tmp_path: Path
) -> None:
    outputs = render_stack(stack).document()["outputs"]
    assert validate(outputs).environment == stack
    jsonschema.validate(outputs, json.loads((REPO / SCHEMA_PATH).read_text()))
    assert run(["validate", write(tmp_path, outputs)]) == (0, f"ok: {len(outputs)} outputs match schema_version 1\n")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_secret_output_is_exported_as_a_secret(render_stack: RenderStack, stack: str) -> None:
    assert render_stack(stack).secret_outputs == SECRET_OUTPUTS


def test_a_credential_handed_over_in_clear_is_still_exported_as_a_secret(dev_outputs: dict[str, Any]) -> None:
    """Every cluster hands its kubeconfig over as a secret already; the export must not rely on that (a cluster
    implementation that reads it with a plain command would otherwise print it with `pulumi stack output`)."""
    # The program hands every field over, `None` where an environment has no value (the SDK then drops it).
    dropped = {f.alias or name: None for name, f in StackOutputs.model_fields.items() if not f.is_required()}
    plain = {**dropped, **dev_outputs, "kubeconfig": "apiVersion: v1\nusers: [{user: {token: PLAIN-TOKEN}}]\n"}
    result = render_component(lambda _: export_outputs(plain))
    assert result.secret_outputs == SECRET_OUTPUTS
    assert result.document()["outputs"]["kubeconfig"] == SECRET
    assert "PLAIN-TOKEN" not in json.dumps(result.document())


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"kubeconfig": "apiVersion: v1"}, "kubeconfig: is a secret but appears in clear"),
        ({"namespaces": SECRET}, "namespaces: Input should be a valid list"),
        ({"schemaVersion": 2}, "schemaVersion: Input should be 1"),
        ({"grafanaUrll": "https://grafana.example.com"}, "grafanaUrll: Extra inputs are not permitted"),
        ({"clusterKind": None}, "clusterKind: Input should be 'k3s', 'existing' or 'aks'"),
    ],
)
def test_invalid_outputs_are_refused_naming_the_output(
    dev_outputs: dict[str, Any], change: dict[str, Any], problem: str
) -> None:
    with pytest.raises(OutputsError) as refused:
        validate({**dev_outputs, **change})
    assert any(line.startswith(problem) for line in refused.value.problems), refused.value.problems


def test_a_missing_output_is_named(dev_outputs: dict[str, Any]) -> None:
    document = {k: v for k, v in dev_outputs.items() if k != "clusterName"}
    with pytest.raises(OutputsError, match="clusterName: Field required"):
        validate(document)


def test_secrets_shown_in_clear_are_accepted_when_the_file_says_so(dev_outputs: dict[str, Any], tmp_path: Path) -> None:
    shown = {**dev_outputs, "kubeconfig": "apiVersion: v1"}
    assert run(["validate", write(tmp_path, shown)])[0] == 1
    assert run(["validate", "--secrets-shown", write(tmp_path, shown)])[0] == 0
    code, markdown = run(["summary", "--secrets-shown", write(tmp_path, shown)])
    assert code == 0
    assert "apiVersion" not in markdown
    assert "| `kubeconfig` | 🔒 secret |" in markdown


def test_an_unreadable_file_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{not json")
    assert run(["validate", str(tmp_path / "bad.json")])[0] == 2
    assert run(["validate", str(tmp_path / "missing.json")])[0] == 2


def test_overview_links_are_read_generically_and_skip_secrets_and_in_cluster_urls() -> None:
    outputs = {
        "grafanaUrl": "https://grafana.prompt2prod.example.com",
        "dashboardUrls": {
            "generator": "https://grafana.example.com/d/generator",
            "ollama": "https://grafana.example.com/d/ollama",
        },
        "ollamaUrl": "http://ollama.llm.svc.cluster.local:11434",
        "gatewayUrls": ["https://generator.example.com"],
        "keyVaultUri": "https://kv-prompt2prod.vault.azure.net/",
        "registryLoginServer": "acrprompt2prod.azurecr.io",
        "llmUrl": "https://llm.example.com/v1",
        "kubeconfig": "https://not-a-link.example.com",
    }
    assert [(link["title"], link["url"]) for link in overview_links(outputs)] == [
        ("Dashboard: generator", "https://grafana.example.com/d/generator"),
        ("Dashboard: ollama", "https://grafana.example.com/d/ollama"),
        ("Gateway: generator.example.com", "https://generator.example.com"),
        ("Grafana", "https://grafana.prompt2prod.example.com"),
        ("Key Vault", "https://kv-prompt2prod.vault.azure.net/"),
        ("LLM", "https://llm.example.com/v1"),
    ]
    assert overview_links(outputs)[0] == {
        "title": "Dashboard: generator",
        "type": "link",
        "url": "https://grafana.example.com/d/generator",
        "tooltip": "stack output dashboardUrls.generator",
        "targetBlank": True,
    }


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_overview_and_summary_of_the_rendered_outputs(render_stack: RenderStack, stack: str, tmp_path: Path) -> None:
    file = write(tmp_path, render_stack(stack).document()["outputs"])
    out = tmp_path / "links" / "overview.json"
    assert run(["overview", file, "--out", str(out)]) == (0, "")
    document = json.loads(out.read_text())
    assert document["formatVersion"] == 1
    assert document["environment"] == stack
    assert all(link["url"].startswith(("http://", "https://")) for link in document["links"])
    code, markdown = run(["summary", file])
    assert code == 0
    assert markdown.startswith(f"### Stack outputs: {stack} (")
    assert "| `kubeconfig` | 🔒 secret |" in markdown


def test_summary_lists_every_output_as_a_table_row(dev_outputs: dict[str, Any]) -> None:
    markdown = summary(validate(dev_outputs))
    rows = [line for line in markdown.splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == sorted(dev_outputs)
    namespaces = ", ".join(f"`{name}`" for name in dev_outputs["namespaces"])
    assert f"| `namespaces` | {namespaces} |" in rows


def test_the_regenerate_command_prints_the_committed_schema() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "infra.outputs", "schema"], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert completed.stdout == (REPO / SCHEMA_PATH).read_text()
