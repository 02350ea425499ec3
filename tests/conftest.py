"""Shared fixtures: run the real Pulumi program under mocks for a stack, with config overrides.

`render_stack("dev")` returns what the committed `Pulumi.dev.yaml` declares (cached per session);
`render_stack("dev", {"ollama": {...}}, secrets={"cloudLlmApiKey": "..."})` merges overrides into that file's
`prompt2prod:*` keys first. Secret values passed here are marked secret exactly as `pulumi config set --secret` does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from pulumi.runtime.sync_await import _ensure_event_loop

from infra.render import RenderResult, run_program, write_render
from tests.support import RenderStack, StackInput, stack_input


def pytest_configure(config: pytest.Config) -> None:
    """The generator service finds checkov on PATH (`make unit` puts it there); a bare `pytest` run finds it too,
    in the processes the tests start as well."""
    checkov = Path(__file__).resolve().parents[1] / ".tools" / "checkov" / "bin" / "checkov"
    if checkov.is_file():
        os.environ.setdefault("CHECKOV_PATH", str(checkov))


@pytest.fixture(autouse=True)
def _event_loop_for_pulumi(request: pytest.FixtureRequest) -> None:
    """Pulumi Outputs need a current event loop; async app tests (pytest-asyncio) close and unset theirs."""
    if request.node.get_closest_marker("asyncio") is None:
        _ensure_event_loop()


@pytest.fixture(scope="session")
def render_stack() -> RenderStack:
    cache: dict[str, RenderResult] = {}

    def render(
        stack: str, overrides: Mapping[str, Any] | None = None, secrets: Mapping[str, str] | None = None
    ) -> RenderResult:
        if overrides or secrets:
            given: StackInput = stack_input(stack, overrides, secrets)
            return run_program(stack, given.values, given.secret_keys)
        if stack not in cache:
            given = stack_input(stack)
            cache[stack] = run_program(stack, given.values, given.secret_keys)
        return cache[stack]

    return render


@pytest.fixture(scope="session", params=["dev", "prod"])
def rendered_dir(
    request: pytest.FixtureRequest, render_stack: RenderStack, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A stack rendered to disk exactly as `make render` writes it."""
    out = tmp_path_factory.mktemp(f"render-{request.param}") / request.param
    write_render(render_stack(request.param), out)
    return out
