"""Config values in the shapes the Pulumi CLI writes them, read back as the type each key declares.

`pulumi config set --path KEY VALUE` stores `true`/`false` as booleans, an integer without leading zeros as an
integer and everything else as text (`--type float|int|bool|string` forces one of those). So a number such as
`0.995` arrives as the text "0.995", a zone `1` as the integer 1, a Kubernetes quantity `2` as the integer 2.
`cli_value` turns such a value into the field's type when the text or number means exactly that value
(Pulumi's own rules for typed project config: an integer may be written as text, a boolean as "true"/"false"),
and leaves anything else to the model's strict validation, which refuses it naming the key. Real mistakes stay
mistakes: `true` is never a number, `2.5` never an integer, `"yes"` never a boolean, and a YAML float where text
is expected (`kubernetesVersion: 1.30` read as 1.3) is refused, because the text that was meant is lost.
"""

from __future__ import annotations

import re
import types
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Union, get_args, get_origin

# What Go's strconv.Atoi accepts: the CLI's test for "an integer".
_INTEGER_TEXT = re.compile(r"^[+-]?\d+$")
# A decimal number as people type one (no `nan`, `inf` or hex floats, which Python's float() would take).
_NUMBER_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_BOOLEAN_TEXT = {"true": True, "false": False}


def _target(annotation: Any) -> Any:
    """The type a field holds, without `Annotated[...]` metadata and without `| None`."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def cli_value(annotation: Any, value: Any) -> Any:
    """`value` as the field typed `annotation` reads it, when the CLI wrote that value in another shape."""
    target = _target(annotation)
    origin = get_origin(target)
    if origin is list and isinstance(value, list):
        (item,) = get_args(target)
        return [cli_value(item, v) for v in value]
    if origin is dict and isinstance(value, dict):
        _, item = get_args(target)
        return {k: cli_value(item, v) for k, v in value.items()}
    if isinstance(value, bool):
        return value
    if origin is Literal:
        members = get_args(target)
        if isinstance(value, int) and str(value) in members:
            return str(value)
        return value
    if target is bool and isinstance(value, str):
        return _BOOLEAN_TEXT.get(value, value)
    if target is int and isinstance(value, str) and _INTEGER_TEXT.match(value):
        return int(value)
    if target is float and isinstance(value, str) and _NUMBER_TEXT.match(value):
        return float(value)
    if target is str and isinstance(value, int):
        return str(value)
    return value


def cli_values(fields: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """`cli_value` for each entry of `data` whose key names a field (by alias or name) in `fields`."""
    return {key: cli_value(fields[key], value) if key in fields else value for key, value in data.items()}
