"""The render never deletes what it did not write.

Guards `render --out .`, which wiped the folder (from the repository root it would have taken `.git`) and then
failed, and `make render STACK=prod OUT=build`, which silently removed `build/render/dev`: only a new or empty
folder, or a previous render holding nothing but what a render writes, is ever replaced; anything else is exit 2
before the program runs, with nothing written or deleted.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import infra.render as render_module
from infra.render import RenderResult, write_render
from infra.render.cli import EXIT_INVALID_DESTINATION, main
from infra.render.destination import MARKER, DestinationError
from infra.render.mocks import RecordedResource
from tests.support import REPO, RenderStack


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def render_cli(out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["--stack", "dev", "--out", str(out), "--project-dir", str(REPO)])
    return code, capsys.readouterr().err


def test_a_folder_that_is_not_a_render_is_refused_untouched(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    (project / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (project / "README.md").write_text("mine\n")
    before = tree(project)

    code, err = render_cli(project, capsys)

    assert code == EXIT_INVALID_DESTINATION
    assert "is not empty and is not a previous render" in err
    assert "nothing was written or deleted" in err
    assert tree(project) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project"], "a staging folder was left behind"


def test_a_folder_above_other_renders_is_refused(
    tmp_path: Path, render_stack: RenderStack, capsys: pytest.CaptureFixture[str]
) -> None:
    write_render(render_stack("dev"), tmp_path / "build" / "render" / "dev")
    before = tree(tmp_path / "build")

    code, err = render_cli(tmp_path / "build", capsys)

    assert code == EXIT_INVALID_DESTINATION
    assert str(tmp_path / "build") in err
    assert tree(tmp_path / "build") == before


def test_a_previous_render_is_replaced_whole(tmp_path: Path, render_stack: RenderStack) -> None:
    out = tmp_path / "render"
    write_render(render_stack("dev"), out)
    stale = out / "manifests" / "old--configmap--gone.yaml"
    stale.write_text("kind: ConfigMap\n")

    write_render(render_stack("dev"), out)

    assert not stale.exists()
    assert (out / MARKER).is_file()
    assert (out / "resources.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["render"], "a staging or previous folder was left behind"


def test_a_previous_render_holding_other_files_is_refused(
    tmp_path: Path, render_stack: RenderStack, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "render"
    write_render(render_stack("dev"), out)
    (out / "notes.txt").write_text("keep me\n")
    before = tree(out)

    code, err = render_cli(out, capsys)

    assert code == EXIT_INVALID_DESTINATION
    assert "notes.txt was not written by the render" in err
    assert tree(out) == before


@pytest.mark.parametrize("kind", ["file", "symlink"])
def test_a_file_or_a_link_is_refused(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "target"
    target.mkdir()
    out = tmp_path / "out"
    if kind == "file":
        out.write_text("x")
    else:
        out.symlink_to(target)

    code, _ = render_cli(out, capsys)

    assert code == EXIT_INVALID_DESTINATION
    assert out.exists()
    assert not any(target.iterdir())


def test_an_empty_folder_is_rendered_into(tmp_path: Path, render_stack: RenderStack) -> None:
    out = tmp_path / "empty"
    out.mkdir()
    write_render(render_stack("dev"), out)
    assert (out / MARKER).is_file()


def test_a_render_that_fails_leaves_the_previous_render_as_it_was(tmp_path: Path, render_stack: RenderStack) -> None:
    out = tmp_path / "render"
    write_render(render_stack("dev"), out)
    before = tree(out)
    twin = RecordedResource(
        urn="urn:pulumi:dev::prompt2prod::kubernetes:core/v1:ConfigMap::twin",
        type="kubernetes:core/v1:ConfigMap",
        name="twin",
        parent=None,
        provider=None,
        depends_on=[],
        inputs={"metadata": {"name": "twin", "namespace": "x"}},
        options={},
        custom=True,
    )
    broken = RenderResult("prompt2prod", "dev", [twin, twin], {})

    with pytest.raises(RuntimeError, match="two objects render to"):
        write_render(broken, out)

    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["render"]


def test_the_destination_is_checked_again_just_before_the_swap(
    tmp_path: Path, render_stack: RenderStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone writes into the folder while the render is being written (after the first check passed)."""
    out = tmp_path / "render"
    out.mkdir()
    stage = render_module.staging_next_to

    def staging_while_someone_writes(destination: Path) -> Path:
        (destination / "appeared-meanwhile.txt").write_text("x")
        return stage(destination)

    monkeypatch.setattr(render_module, "staging_next_to", staging_while_someone_writes)
    with pytest.raises(DestinationError):
        write_render(render_stack("dev"), out)
    assert (out / "appeared-meanwhile.txt").exists()
