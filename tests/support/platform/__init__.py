"""The cross-layer checks `tests/platform` runs on both renders: each module checks one layer against the others
(`references`, `routing`, `monitoring`, `budgets`, `network` with the NetworkPolicy simulation of `netpol`,
`azure`), on the model of a render in `model` (with the Helm-made pods of `helm`). Every check returns a list of
problems, empty when the render keeps the contract (`infra/contract/`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from infra.render import RenderResult, write_render
from tests.support.platform.model import Render


def load_render(result: RenderResult, directory: Path) -> Render:
    """`result` written as `make render` writes it, and read back as the checks see it."""
    write_render(result, directory)
    return Render.load(directory)


LoadStack = Callable[..., Render]
"""The `stack_render` fixture (tests/platform/conftest.py): `stack_render("prod", overrides, secrets=...)`."""
