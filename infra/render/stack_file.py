"""Reading `Pulumi.<stack>.yaml` into the raw config map that the Pulumi engine would hand the program.

The Pulumi CLI reads stack files with Go's yaml.v3, which differs from PyYAML's YAML 1.1 defaults; the render
reads them the CLI's way, so that it validates exactly what `pulumi up` would:
- only `true`/`false` (any case style) are booleans: `yes`, `on`, `off` stay text;
- timestamps stay text: `imageTag: 2026-01-15` is the tag "2026-01-15", not a date;
- integers are decimal (or `0x`/`0o`), `1:30` is text, not the sexagesimal 90;
- a top-level value that is a scalar is passed as the text written, `1.30` included; structured values become
  JSON text, as the engine passes them.

A `secure:` value cannot be decrypted here (no Pulumi CLI, no passphrase): it becomes a deterministic placeholder
and its key is marked secret, so the program sees a secret just as it would under `pulumi up`. A value that
cannot reach a program at all (binary data, a set, a non-text key, an infinite number) is a `StackFileError`
naming its key.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PLACEHOLDER_PREFIX = "render-placeholder-secret"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class StackFileError(Exception):
    pass


@dataclass(frozen=True)
class RawConfig:
    values: dict[str, str]
    secret_keys: frozenset[str]


class PulumiYamlLoader(yaml.SafeLoader):
    """PyYAML's safe loader with the scalar resolution of Go's yaml.v3 (the Pulumi CLI's YAML library)."""


PulumiYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag not in (_BOOL, _INT, _FLOAT, _TIMESTAMP)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
PulumiYamlLoader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
PulumiYamlLoader.add_implicit_resolver(
    _INT, re.compile(r"^(?:[-+]?[0-9]+|0x[0-9a-fA-F]+|0o[0-7]+)$"), list("-+0123456789")
)
PulumiYamlLoader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+.0123456789"),
)


def secret_placeholder(key: str) -> str:
    return f"{PLACEHOLDER_PREFIX}:{key}"


def read_stack_file(path: Path) -> RawConfig:
    try:
        text = path.read_text()
        document = yaml.load(text, Loader=PulumiYamlLoader) or {}  # noqa: S506 - a SafeLoader subclass
        raw_scalars = _top_level_scalars(yaml.compose(text, Loader=PulumiYamlLoader))
    except FileNotFoundError:
        raise StackFileError(f"{path}: no such stack file") from None
    except yaml.YAMLError as error:
        raise StackFileError(f"{path}: not valid YAML: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("config") or {}, dict):
        raise StackFileError(f"{path}: expected a mapping with a 'config' mapping")
    values: dict[str, str] = {}
    secrets: set[str] = set()
    problems: list[str] = []
    for key, value in (document.get("config") or {}).items():
        if not isinstance(key, str) or ":" not in key:
            problems.append(f"{key!r}: a config key is `namespace:name` (e.g. prompt2prod:environment)")
        elif isinstance(value, dict) and set(value) == {"secure"}:
            values[key] = secret_placeholder(key)
            secrets.add(key)
        elif key in raw_scalars:
            values[key] = raw_scalars[key]
        else:
            try:
                values[key] = encode_config_value(value, key)
            except StackFileError as error:
                problems.append(str(error))
    if problems:
        raise StackFileError(f"{path}: " + "; ".join(problems))
    return RawConfig(values=values, secret_keys=frozenset(secrets))


def _top_level_scalars(root: yaml.Node | None) -> dict[str, str]:
    """The text as written of every top-level config value that is a scalar (`~` and empty values: "")."""
    if not isinstance(root, yaml.MappingNode):
        return {}
    config = next((value for key, value in root.value if key.value == "config"), None)
    if not isinstance(config, yaml.MappingNode):
        return {}
    return {
        key.value: "" if value.tag == "tag:yaml.org,2002:null" else value.value
        for key, value in config.value
        if isinstance(key, yaml.ScalarNode) and isinstance(value, yaml.ScalarNode)
    }


def encode_config_value(value: Any, key: str = "value") -> str:
    """A config value as the engine passes it: text as is, anything structured as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(_plain(value, key))


def _plain(value: Any, path: str) -> Any:
    """`value` if it is JSON (text, finite numbers, booleans, null, lists, text-keyed mappings), else refused."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise StackFileError(f"{path}: {value} is not a number a program can receive")
        return value
    if isinstance(value, list):
        return [_plain(item, f"{path}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, dict):
        for name in value:
            if not isinstance(name, str):
                raise StackFileError(f"{path}: the key {name!r} is not text; quote it")
        return {name: _plain(item, f"{path}.{name}") for name, item in value.items()}
    kinds: dict[type, str] = {bytes: "binary data (!!binary)", set: "a set (!!set)"}
    kind = kinds.get(type(value), type(value).__name__)
    raise StackFileError(f"{path}: {kind} cannot be passed to a program; write text, a number, a list or a mapping")
