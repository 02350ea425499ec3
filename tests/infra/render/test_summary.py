"""The PR job summary of the render: counts by type, changes against the base branch, the manifest diff.

Guards the reviewer's view of a PR: a change to a manifest must show up as a diff, an unchanged render must say
so, and a base branch without a render must not break the summary.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from infra.render import write_render
from infra.render.summary import MAX_DIFF_LINES, main, summary
from tests.support import RenderStack


def render_into(root: Path, render_stack: RenderStack, **overrides: object) -> Path:
    write_render(render_stack("dev", overrides or None), root / "dev")
    return root


def test_identical_renders_have_counts_and_no_diff(render_stack: RenderStack, tmp_path: Path) -> None:
    head = render_into(tmp_path / "head", render_stack)
    base = render_into(tmp_path / "base", render_stack)
    text = summary(head, base, ["dev"])
    namespaces = len(render_stack("dev").of_type("kubernetes:core/v1:Namespace"))
    assert f"| `kubernetes:core/v1:Namespace` | {namespaces} |  |" in text
    assert "- no resource changed" in text
    assert "_Manifests are identical to the base branch._" in text


def test_a_changed_manifest_shows_as_a_diff_and_a_changed_resource(render_stack: RenderStack, tmp_path: Path) -> None:
    head = render_into(tmp_path / "head", render_stack)
    base = render_into(tmp_path / "base", render_stack)
    manifest = head / "dev" / "manifests" / "_cluster--namespace--llm.yaml"
    manifest.write_text(manifest.read_text().replace("name: llm", "name: llm-renamed"))
    text = summary(head, base, ["dev"])
    assert "-  name: llm\n+  name: llm-renamed" in text
    assert "+++ head/_cluster--namespace--llm.yaml" in text


def test_a_manifest_missing_from_the_base_shows_as_added(render_stack: RenderStack, tmp_path: Path) -> None:
    head = render_into(tmp_path / "head", render_stack)
    base = render_into(tmp_path / "base", render_stack)
    (base / "dev" / "manifests" / "_cluster--namespace--llm.yaml").unlink()
    text = summary(head, base, ["dev"])
    assert "--- /dev/null\n+++ head/_cluster--namespace--llm.yaml" in text


def test_a_missing_base_render_is_reported_not_fatal(render_stack: RenderStack, tmp_path: Path) -> None:
    head = render_into(tmp_path / "head", render_stack)
    text = summary(head, tmp_path / "no-base", ["dev", "prod"])
    assert "_No render of the base branch for this stack: nothing to compare against._" in text
    assert "**No render of the PR for prod: see the job log.**" in text


def test_a_long_diff_is_cut_and_points_to_the_artifact(render_stack: RenderStack, tmp_path: Path) -> None:
    head = render_into(tmp_path / "head", render_stack)
    base = render_into(tmp_path / "base", render_stack)
    shutil.rmtree(base / "dev" / "manifests")
    (base / "dev" / "manifests").mkdir()
    big = head / "dev" / "manifests" / "big.yaml"
    big.write_text("".join(f"line{i}: {i}\n" for i in range(MAX_DIFF_LINES * 2)))
    text = summary(head, base, ["dev"])
    assert f"(first {MAX_DIFF_LINES} of" in text
    assert "the full render is in the artifact" in text


def test_cli_writes_markdown(render_stack: RenderStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    head = render_into(tmp_path / "head", render_stack)
    assert main(["--head", str(head), "--stacks", "dev"]) == 0
    assert capsys.readouterr().out.startswith("### Render: dev\n\n| Type | Count | Change |")
