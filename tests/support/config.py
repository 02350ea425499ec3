"""Config documents as `pulumi config set --path` builds them, and what `parse_config` makes of them."""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

from infra.config import PROJECT, ConfigError, StackConfig, parse_config

_PATH_PART = re.compile(r'([^.\[\]]+)|\[(\d+)\]|\["([^"]+)"\]')


def set_path(document: dict[str, Any], path: str, value: Any) -> None:
    """`pulumi config set --path` on a document of `prompt2prod:*` values (below the namespace)."""
    parts: list[str | int] = [
        name or (int(index) if index else quoted) for name, index, quoted in _PATH_PART.findall(path)
    ]
    node: Any = document
    for part, following in itertools.pairwise(parts):
        empty: Any = [] if isinstance(following, int) else {}
        if isinstance(part, int):
            while len(node) <= part:
                node.append(empty)
        elif part not in node or not isinstance(node[part], dict | list):
            node[part] = empty
        node = node[part]
    last = parts[-1]
    if isinstance(last, int):
        while len(node) <= last:
            node.append(None)
    node[last] = value


def load(document: dict[str, Any]) -> StackConfig:
    """`parse_config` of a `prompt2prod:*` document (keys below the namespace; `environment` as raw text)."""
    values = {f"{PROJECT}:{key}": json.dumps(value) for key, value in document.items() if key != "environment"}
    return parse_config({**values, f"{PROJECT}:environment": document["environment"]})


def problems_for(document: dict[str, Any]) -> list[str] | None:
    """The problems `parse_config` reports for `document`, or None when it is valid."""
    try:
        load(document)
    except ConfigError as error:
        return error.problems
    return None
