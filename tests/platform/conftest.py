"""Fixtures of the cross-layer suite: each committed stack's render as the checks see it (`Render`), and renders of
the same program under other config, for the cases a committed stack does not exercise."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.support import RenderStack
from tests.support.platform import LoadStack, load_render
from tests.support.platform.model import Render


@pytest.fixture(scope="session")
def platform_render(rendered_dir: Path) -> Render:
    """dev, then prod: the committed stacks as `make render` writes them."""
    return Render.load(rendered_dir)


@pytest.fixture(scope="session")
def stack_render(render_stack: RenderStack, tmp_path_factory: pytest.TempPathFactory) -> LoadStack:
    """`stack_render("prod", {"generator": {...}}, secrets={...})`: one stack's render, under other config if given."""
    cache: dict[str, Render] = {}

    def load(
        stack: str, overrides: Mapping[str, Any] | None = None, secrets: Mapping[str, str] | None = None
    ) -> Render:
        if overrides or secrets:
            return load_render(render_stack(stack, overrides, secrets), tmp_path_factory.mktemp(stack) / stack)
        if stack not in cache:
            cache[stack] = load_render(render_stack(stack), tmp_path_factory.mktemp(stack) / stack)
        return cache[stack]

    return load
