"""Every rendered manifest is valid for the Kubernetes version the stacks target (strict: no unknown fields).

Custom resources are validated against their CRD's OpenAPI schema where `tests/support/crd_schemas.py` can
load one; any custom kind without a schema is counted and reported, never silently passed.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import yaml

from tests.support.crd_schemas import validate_manifest


def test_every_manifest_matches_its_schema(rendered_dir: Path) -> None:
    problems: list[str] = []
    unvalidated: dict[str, int] = {}
    manifests = sorted((rendered_dir / "manifests").glob("*.yaml"))
    assert manifests, "the render declared no Kubernetes objects"
    for path in manifests:
        document = yaml.safe_load(path.read_text())
        outcome = validate_manifest(document)
        if outcome is None:
            key = f"{document['apiVersion']}/{document['kind']}"
            unvalidated[key] = unvalidated.get(key, 0) + 1
        else:
            problems.extend(f"{path.name}: {message}" for message in outcome)
    if unvalidated:
        warnings.warn(f"{rendered_dir.name}: custom resources with no schema to check: {unvalidated}", stacklevel=1)
    assert not problems, "\n".join(problems)


def test_an_unknown_field_is_caught() -> None:
    """Guards the gate itself: strict validation must reject a field Kubernetes does not know."""
    bad = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x", "labelz": {}}}
    assert validate_manifest(bad)
