"""Reading GitHub Actions workflows as GitHub does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def load(path: Path) -> dict[str, Any]:
    document: dict[Any, Any] = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as the boolean True.
    if True in document:
        document["on"] = document.pop(True)
    return document
