"""OpenAPI schemas of the custom resources the platform declares, from packages that ship the CRDs.

`validate_custom_resource(document)` returns the list of problems (empty when valid), or None when no
schema for that apiVersion/kind is known here — the caller counts and reports those.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SchemaLoader = Callable[[str, str], dict[str, Any] | None]

# Each loader returns the openAPIV3Schema for (apiVersion, kind), or None if it does not know the kind.
LOADERS: list[SchemaLoader] = []


def validate_custom_resource(document: dict[str, Any]) -> list[str] | None:
    import jsonschema

    for loader in LOADERS:
        schema = loader(document["apiVersion"], document["kind"])
        if schema is not None:
            validator = jsonschema.Draft202012Validator(schema)
            return [
                f"{error.message} at {'/'.join(map(str, error.absolute_path))}"
                for error in validator.iter_errors(document)
            ]
    return None
