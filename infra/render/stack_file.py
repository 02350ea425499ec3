"""Reading `Pulumi.<stack>.yaml` into the raw config map that the Pulumi engine would hand the program.

Structured values become JSON text and scalars strings, exactly as the engine passes them. A `secure:` value
cannot be decrypted here (no Pulumi CLI, no passphrase): it becomes a deterministic placeholder and its key
is marked secret, so the program sees a secret just as it would under `pulumi up`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PLACEHOLDER_PREFIX = "render-placeholder-secret"


class StackFileError(Exception):
    pass


@dataclass(frozen=True)
class RawConfig:
    values: dict[str, str]
    secret_keys: frozenset[str]


def secret_placeholder(key: str) -> str:
    return f"{PLACEHOLDER_PREFIX}:{key}"


def read_stack_file(path: Path) -> RawConfig:
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        raise StackFileError(f"{path}: no such stack file") from None
    except yaml.YAMLError as error:
        raise StackFileError(f"{path}: not valid YAML: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("config", {}), dict):
        raise StackFileError(f"{path}: expected a mapping with a 'config' mapping")
    values: dict[str, str] = {}
    secrets: set[str] = set()
    for key, value in (document.get("config") or {}).items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            values[key] = secret_placeholder(key)
            secrets.add(key)
        else:
            values[key] = encode_config_value(value)
    return RawConfig(values=values, secret_keys=frozenset(secrets))


def encode_config_value(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
