"""Pulumi.yaml's typed project config declares every top-level key Pulumi can type, as the model does.

Pulumi's project schema (pulumi/pulumi sdk/go/common/workspace/project.json) types top-level keys only, as
`string`, `integer`, `boolean` or `array` (of those); a key declared without a default becomes required, and
keys of other namespaces may not be typed. A top-level key added to the model with such a type must be declared
here with the same type, description and requiredness, so that `pulumi config` shows it; object keys cannot be.
"""

from __future__ import annotations

from typing import Any, Literal, get_args, get_origin

import yaml
from pydantic_core import PydanticUndefined

from infra.config import PROJECT, PlatformConfig
from tests.support import REPO

SCALARS = {str: "string", int: "integer", bool: "boolean"}


def pulumi_type(annotation: Any) -> str | None:
    """The project-config type Pulumi would check a value of `annotation` with, or None if it has none."""
    if annotation in SCALARS:
        return SCALARS[annotation]
    args = get_args(annotation)
    if get_origin(annotation) is Literal and all(isinstance(a, str) for a in args):
        return "string"
    return None


def test_typed_project_config_matches_the_model() -> None:
    declared = yaml.safe_load((REPO / "Pulumi.yaml").read_text())["config"]
    expected = {}
    for name, field in PlatformConfig.model_fields.items():
        kind = pulumi_type(field.annotation)
        if kind is not None:
            expected[f"{PROJECT}:{field.alias or name}"] = (field, kind)

    assert set(declared) == set(expected)
    for key, (field, kind) in expected.items():
        entry = declared[key]
        assert entry["type"] == kind
        assert entry["description"] == field.description
        assert ("default" in entry) == (field.default is not PydanticUndefined)


def test_only_project_keys_are_declared() -> None:
    declared = yaml.safe_load((REPO / "Pulumi.yaml").read_text())["config"]
    assert all(key.startswith(f"{PROJECT}:") for key in declared)
