"""Configuration problems as users read them: one line per problem, `prompt2prod:<key path>: <what is wrong>`.

`describe` turns pydantic's validation errors into those lines; `ProblemAt` lets a validator that checks several
keys together report at the key the user has to change; `closest` suggests the key or namespace a typo meant.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

PROJECT = "prompt2prod"
MAX_TYPO_DISTANCE = 3
"""Edits (insert, delete, substitute) at most between a typo and the name it was meant to be."""


def camel_key(name: str) -> str:
    """`ssh_private_key` -> `sshPrivateKey`; unlike pydantic's `to_camel`, `k3s` stays `k3s`."""
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


class ProblemAt(ValueError):
    """Raised by a model validator: the problem belongs to `key`, a path below the model being validated."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: the fewest single-character edits that turn `a` into `b`."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name `name` is most likely a typo of (case aside), if any is within `MAX_TYPO_DISTANCE` edits."""
    scored = sorted((edit_distance(name.lower(), candidate.lower()), candidate) for candidate in known)
    return scored[0][1] if scored and scored[0][0] <= MAX_TYPO_DISTANCE else None


def describe(error: ValidationError) -> list[str]:
    """One `prompt2prod:<key>: <message>` line per validation error."""
    lines = []
    for item in error.errors(include_url=False):
        path = key_path(item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        cause = (item.get("ctx") or {}).get("error")
        if isinstance(cause, ProblemAt):
            path = f"{path}.{cause.key}" if path else cause.key
            message = str(cause)
        elif item["type"] == "extra_forbidden":
            message = "unknown key"
        elif item["type"] == "missing":
            message = "required"
        elif item["type"] == "string_type":
            message = _expected_text(item["input"]) or message
        elif item["type"] in ("bool_type", "bool_parsing"):
            message = f"expected true or false, got {shown(item['input'])}"
        lines.append(f"{PROJECT}:{path}: {message}" if path else f"{PROJECT}: {message}")
    return lines


def shown(value: Any) -> str:
    """A value as quoted in a problem line, cut short: a problem line stays one readable line."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _expected_text(value: Any) -> str | None:
    # YAML reads unquoted 1.30 as the number 1.3 and `on` as true: the text meant is gone, so say how to keep it.
    if isinstance(value, bool):
        return f"expected text, got the boolean {str(value).lower()}: quote it in the stack file"
    if isinstance(value, float):
        return (
            f"expected text, got the number {value!r}: quote it in the stack file "
            "(unquoted, YAML reads 1.30 as the number 1.3)"
        )
    return None


_FIELD_NAME = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")


def key_path(loc: tuple[int | str, ...]) -> str:
    """`("ollama", "models", 1)` -> `ollama.models[1]`; pydantic's own location parts are left out, and a field
    name (pydantic names a default's field by its Python name) is written as the key (`generatorHostname`)."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part.startswith("function-after[") or part in {"[key]"}:
            continue
        else:
            key = camel_key(part) if _FIELD_NAME.match(part) else part
            path += f".{key}" if path else key
    return path
