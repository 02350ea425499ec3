"""Turning the values the Pulumi SDK sends to the engine into plain, deterministic JSON.

Secret values become `"[secret]"` (maps and lists inside a secret keep their keys and length); values
unknown before deployment become `"[unknown]"`; resource references become their URN; integral numbers
(protobuf sends every number as a double) become integers again.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import struct_pb2

SECRET = "[secret]"  # noqa: S105 - the marker written in place of a secret
UNKNOWN = "[unknown]"

SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105 - Pulumi wire-format signature
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
OUTPUT_VALUE_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def to_plain(value: Any) -> Any:
    if isinstance(value, dict):
        sig = value.get(SIG_KEY)
        if sig == SECRET_SIG:
            return redact(to_plain(value.get("value")))
        if sig == RESOURCE_SIG:
            return value.get("urn", UNKNOWN)
        if sig in (ASSET_SIG, ARCHIVE_SIG):
            return {k: to_plain(v) for k, v in sorted(value.items()) if k != SIG_KEY}
        if sig == OUTPUT_VALUE_SIG:
            return (
                redact(to_plain(value.get("value"))) if value.get("secret") else to_plain(value.get("value", UNKNOWN))
            )
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value == UNKNOWN_VALUE:
        return UNKNOWN
    return value


def redact(value: Any) -> Any:
    """Hide every value inside a secret but keep its shape, so a secret map still renders as a map."""
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return SECRET


def is_secret(value: Any) -> bool:
    """Whether a wire value (before `to_plain`) is a secret as a whole."""
    return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG


def reveal(value: Any) -> Any:
    """The value inside a top-level secret wrapper (the caller keeps track of its secretness), else `value`."""
    return value.get("value") if is_secret(value) else value


def contains_secret(value: Any) -> bool:
    """Whether a wire value (before `to_plain`) holds a secret anywhere inside."""
    if isinstance(value, dict):
        return value.get(SIG_KEY) == SECRET_SIG or any(contains_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_secret(v) for v in value)
    return False


def mark_secret(struct: struct_pb2.Struct, keys: set[str]) -> None:
    """Wrap the named top-level properties of `struct` as secrets, as the engine does for their outputs."""
    for key in keys & set(struct.fields):
        original = struct_pb2.Value()
        original.CopyFrom(struct.fields[key])
        wrapped = struct.fields[key].struct_value
        wrapped.Clear()
        wrapped.fields[SIG_KEY].string_value = SECRET_SIG
        wrapped.fields["value"].CopyFrom(original)
