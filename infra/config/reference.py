"""The configuration reference, generated from the config models and the environments' effective values.

Each key's dev and prod cells are what that environment really uses when the key is not set: the value of
`parse_config` on the smallest valid stack (`minimal_config`), so a default that an environment overrides
(prod's replicas), that a section sets for itself (the generator's `resources`) or that a key only gets when
its object is set (`gpuPool`) shows as the program sees it. `tools/docs.py` writes these tables into docs/.
"""

from __future__ import annotations

import enum
import json
import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from typing import Any, Literal, Union, get_args, get_origin
from uuid import UUID

import annotated_types
from pydantic import BaseModel, HttpUrl, ValidationError

from infra.config import PROJECT, SECRET_DESCRIPTIONS, PlatformConfig, StackConfig, parse_config
from infra.config.environments import ENVIRONMENTS, Environment, minimal_config

NOT_USED = "—"
"""The cell of a key that belongs to an implementation the environment cannot use (`cluster.k3s.*` in prod)."""
UNSET = "unset"
_SET = "set (its keys below)"

_LABELS: Mapping[Any, str] = {
    str: "text",
    int: "integer",
    float: "number",
    bool: "boolean",
    IPv4Network: "CIDR",
    IPv4Address: "IPv4 address",
    UUID: "UUID",
    HttpUrl: "URL",
}


@dataclass(frozen=True)
class KeyRow:
    key: str
    """The path below `prompt2prod:`, as `pulumi config set --path` takes it (`cluster.aks.location`)."""
    type: str
    cells: Mapping[Environment, str]
    """Per environment: the effective value (markdown), `required, e.g. …`, `unset` or `—`."""
    description: str


def effective_config(environment: Environment) -> StackConfig:
    """What the program sees for the smallest valid stack of `environment` (its required keys set to examples)."""
    document = minimal_config(environment)
    values = {f"{PROJECT}:{key}": json.dumps(value) for key, value in document.items() if key != "environment"}
    return parse_config({**values, f"{PROJECT}:environment": environment})


def key_rows() -> list[KeyRow]:
    """Every key of the model tree, in model order, with its effective value in each environment."""
    documents: dict[Environment, Any] = {
        env: effective_config(env).platform.model_dump(mode="json", by_alias=True) for env in ENVIRONMENTS
    }
    return list(_rows(PlatformConfig, "", documents))


def _rows(model: type[BaseModel], prefix: str, documents: Mapping[Environment, Any]) -> Iterator[KeyRow]:
    for name, field in model.model_fields.items():
        key = f"{prefix}{field.alias or name}"
        values = {env: (document or {}).get(field.alias or name) for env, document in documents.items()}
        description = " ".join((field.description or "").split())
        nested = _model_of(field.annotation)
        if nested is None:
            kind = describe_type(field.annotation, field.metadata)
            yield KeyRow(key, kind, {env: _cell(env, key, value) for env, value in values.items()}, description)
            continue
        if field.default is None:
            cells = {env: _cell(env, key, None if value is None else _SET) for env, value in values.items()}
            yield KeyRow(key, "object or null", cells, description)
            # Its keys show what the object holds once it is set (`gpuPool: {}`).
            values = {env: value if value is not None else _defaults_of(nested, env) for env, value in values.items()}
        yield from _rows(nested, f"{key}.", values)


def _defaults_of(model: type[BaseModel], environment: Environment) -> dict[str, Any] | None:
    try:
        return model.model_validate({}, context={"environment": environment}).model_dump(mode="json", by_alias=True)
    except ValidationError:
        return None


def _cell(environment: Environment, key: str, value: Any) -> str:
    rules = ENVIRONMENTS[environment]
    if key in rules.required:
        return f"required, e.g. {format_value(rules.required[key])}"
    concern, _, rest = key.partition(".")
    implementation = rest.partition(".")[0]
    allowed = {str(name): kinds for name, kinds in rules.kinds.items()}.get(concern)
    if allowed is not None and implementation in _implementations(concern) and implementation not in allowed:
        return NOT_USED
    if value is None:
        return UNSET
    return value if value == _SET else format_value(value)


def _implementations(concern: str) -> frozenset[str]:
    """The `kind` values of a section such as `cluster` (`k3s`, `existing`, `aks`): each has its own sub-object."""
    sections = {field.alias: _model_of(field.annotation) for field in PlatformConfig.model_fields.values()}
    section = sections.get(concern)
    kind = section.model_fields.get("kind") if section else None
    return frozenset(get_args(kind.annotation)) if kind else frozenset()


def _under(key: str, prefix: str) -> bool:
    return key == prefix or key.startswith(f"{prefix}.")


def format_value(value: Any) -> str:
    """A value as a markdown cell: text bare (as typed on the CLI), anything else as JSON."""
    if isinstance(value, str) and value:
        return f"`{value}`"
    return f"`{json.dumps(value)}`"


def describe_type(annotation: Any, metadata: list[Any] | tuple[Any, ...] = ()) -> str:
    """`integer (1 to 65535)`, `one of: none, selfSigned, secret`, `list of CIDR`, `text or null`..."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Literal:
        return "one of: " + ", ".join(str(a) for a in args)
    if origin in (Union, types.UnionType):
        return " or ".join(describe_type(a) for a in args if a is not type(None)) + " or null"
    if origin is list:
        return f"list of {describe_type(args[0])}" + _bounds(metadata)
    if origin is dict:
        return f"map of {describe_type(args[0])} to {describe_type(args[1])}"
    if getattr(annotation, "__metadata__", None) is not None:
        return describe_type(args[0], annotation.__metadata__)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return "one of: " + ", ".join(str(member.value) for member in annotation)
    return _LABELS.get(annotation, getattr(annotation, "__name__", str(annotation))) + _bounds(metadata)


def base_type(label: str) -> str:
    """The kind of value a type label describes (`integer (≥ 1)` -> `integer`): the rows of `cli_table`."""
    for prefix in ("list of", "map of", "one of", "object or null"):
        if label.startswith(prefix):
            return prefix
    return label.split(" (")[0].removesuffix(" or null")


def _bounds(metadata: list[Any] | tuple[Any, ...]) -> str:
    found: dict[str, Any] = {}
    for item in metadata:
        for name in ("ge", "gt", "le", "lt", "min_length"):
            if isinstance(item, annotated_types.BaseMetadata) and getattr(item, name, None) is not None:
                found[name] = getattr(item, name)
    if "ge" in found and "le" in found:
        return f" ({found['ge']} to {found['le']})"
    signs = (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<"))
    parts = [f"{sign} {found[name]}" for name, sign in signs if name in found]
    if "min_length" in found:
        parts.append(f"at least {found['min_length']}")
    return f" ({', '.join(parts)})" if parts else ""


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (list, dict):
        return None
    nested = [a for a in get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
    return nested[0] if len(nested) == 1 else None


def keys_table(prefixes: str = "") -> str:
    """The table of every key at or below one of `prefixes` (comma-separated; all keys when empty)."""
    wanted = [prefix for prefix in prefixes.split(",") if prefix]
    every = key_rows()
    for prefix in wanted:
        if not any(_under(row.key, prefix) for row in every):
            raise ValueError(f"no config key at or below {prefix!r}")
    rows = [row for row in every if not wanted or any(_under(row.key, prefix) for prefix in wanted)]
    environments = list(ENVIRONMENTS)
    lines = [
        "| key | type | " + " | ".join(environments) + " | description |",
        "|---|---|" + "---|" * len(environments) + "---|",
    ]
    for row in rows:
        cells = " | ".join(row.cells[env] for env in environments)
        lines.append(f"| `{row.key}` | {row.type} | {cells} | {row.description} |")
    return "\n".join(lines)


# How each kind of value is written with the CLI. `pulumi config set --path` stores `true`/`false` as booleans,
# integers without a leading zero as integers and everything else as text; `infra.config.cli_values` reads each
# shape back as the key's type (tests/infra/config/test_cli_values.py sets every key this way).
CLI_FORMS: Mapping[str, tuple[str, str]] = {
    "text": (
        "pulumi config set --path generator.imageTag 0.2.0",
        "text; digits alone (`7`) are stored as an integer and read back as the text `7`",
    ),
    "integer": ("pulumi config set --path generator.replicas 3", "an integer (the text `3` is read as 3 too)"),
    "number": (
        "pulumi config set --path observability.sloAvailabilityTarget 0.995",
        "the text `0.995` (the CLI types only integers and booleans), read as the number; "
        "`--type float` stores a number, read the same",
    ),
    "boolean": (
        "pulumi config set --path ollama.pruneModels true",
        "a boolean (the text `true`/`false` is read the same; `yes`, `on`, `1` are refused)",
    ),
    "one of": (
        "pulumi config set --path gateway.tls selfSigned",
        "text; a numeric choice such as a zone may be an integer (`1` is the zone `1`)",
    ),
    "CIDR": ("pulumi config set --path 'cluster.aks.apiServerAuthorizedIpRanges[0]' 203.0.113.0/24", "text"),
    "IPv4 address": ("pulumi config set --path cluster.aks.dnsServiceIp 10.43.0.10", "text"),
    "UUID": ("pulumi config set --path 'cluster.aks.adminGroupObjectIds[0]' <group object id>", "text"),
    "URL": ("pulumi config set --path generator.cloud.baseUrl https://openrouter.ai/api/v1", "text"),
    "list of": (
        "pulumi config set --path 'cluster.aks.systemPool.zones[0]' 1",
        "one item per command (`[0]`, `[1]`, …), each stored as above; the list replaces the default as a whole",
    ),
    "map of": (
        "pulumi config set --path 'ollama.modelSizes[\"mymodel:7b\"]' 5Gi",
        'one entry per command; a key with `.` or `:` needs the `["…"]` form',
    ),
    "object or null": (
        "pulumi config set --path cluster.aks.gpuPool.maxCount 2",
        "setting any of its keys creates the object with the defaults below; "
        "`pulumi config rm --path cluster.aks.gpuPool` removes it",
    ),
}


def cli_table() -> str:
    """How each kind of value that the key table uses is set with `pulumi config set --path`."""
    used = {base_type(row.type) for row in key_rows()}
    missing = used - CLI_FORMS.keys()
    if missing:
        raise ValueError(f"CLI_FORMS has no entry for {sorted(missing)}: say how such a value is set")
    lines = ["| type | set it with | stored as, and read as |", "|---|---|---|"]
    lines += [f"| {kind} | `{command}` | {stored} |" for kind, (command, stored) in CLI_FORMS.items() if kind in used]
    return "\n".join(lines)


def secrets_table() -> str:
    lines = ["| key | used for |", "|---|---|"]
    lines += [f"| `{PROJECT}:{name}` | {text} |" for name, text in sorted(SECRET_DESCRIPTIONS.items())]
    return "\n".join(lines)
