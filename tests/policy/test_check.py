"""`python -m policy.check`: the pack's rules over a render, for fork PRs that get no cloud preview.

Guards that a violation in a render fails the PR's render job and is listed in its summary, naming the rule
and the resource.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.render import write_render
from policy.check import main
from tests.support import RenderStack
from tests.support.policy import deployment


def test_a_clean_render_passes(render_stack: RenderStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_render(render_stack("dev"), tmp_path / "dev")
    assert main([str(tmp_path / "dev" / "resources.json")]) == 0
    assert capsys.readouterr().out.startswith("#### Policy pack on stack dev: no violations (14 rules)")


def test_a_violation_fails_and_is_listed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = deployment(image="nginx:latest")
    document = {
        "stack": "dev",
        "resources": [{"type": broken.type, "name": broken.name, "urn": broken.urn, "inputs": broken.inputs}],
    }
    (tmp_path / "resources.json").write_text(json.dumps(document))
    assert main([str(tmp_path / "resources.json")]) == 1
    out = capsys.readouterr().out
    assert "#### Policy pack on stack dev: 2 violations (14 rules)" in out
    assert "- [pinned-images] Deployment shop/web (web-deploy): container \"app\" image 'nginx:latest'" in out
    assert "- [network-policy-per-workload] Deployment shop/web (web-deploy): no NetworkPolicy" in out


def test_an_unreadable_render_is_a_usage_error(tmp_path: Path) -> None:
    assert main([str(tmp_path / "missing.json")]) == 2
