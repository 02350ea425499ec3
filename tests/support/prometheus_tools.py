"""Locate Debian's `promtool` and `prometheus` (package `prometheus`, see `.ci/run`); fail clearly if absent."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml


def binary(name: str) -> str:
    path = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
    if path is None:
        pytest.fail(f"{name} not found: install Debian's package (apt-get install --no-install-recommends prometheus)")
    return path


def write_rules(groups: list[dict[str, object]], path: Path) -> Path:
    path.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    return path


def promtool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([binary("promtool"), *args], capture_output=True, text=True, cwd=cwd, timeout=60, check=False)
