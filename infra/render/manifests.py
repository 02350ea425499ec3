"""Kubernetes objects declared by the program, as `kubectl apply` would take them.

Helm releases are not expanded (their chart, version, repository and values are in `resources.json`);
the provider itself and Pulumi's own YAML/kustomize components are not objects either.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from infra.render.mocks import RecordedResource

_NOT_OBJECTS = re.compile(r"^kubernetes:(helm\.sh/|yaml|kustomize|index:)|^pulumi:providers:")
_TYPE_TOKEN = re.compile(r"^kubernetes:(?P<group>[^:]+):(?P<kind>[A-Za-z]+)$")


def is_kubernetes_object(resource: RecordedResource) -> bool:
    return resource.custom and resource.type.startswith("kubernetes:") and not _NOT_OBJECTS.match(resource.type)


def manifest(resource: RecordedResource) -> dict[str, Any]:
    """The object as applied: `apiVersion`, `kind`, then the declared fields (camelCase, as Pulumi sent them)."""
    match = _TYPE_TOKEN.match(resource.type)
    if match is None:
        raise ValueError(f"{resource.type} is not a Kubernetes type token")
    group_version = match["group"].replace("core/", "", 1) if match["group"].startswith("core/") else match["group"]
    body = dict(resource.inputs)
    api_version = body.pop("apiVersion", group_version)
    kind = body.pop("kind", match["kind"])
    metadata = dict(body.pop("metadata", {}) or {})
    metadata.setdefault("name", resource.name)
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata, **body}


def file_name(document: dict[str, Any]) -> str:
    namespace = document["metadata"].get("namespace", "_cluster")
    return f"{namespace}--{document['kind']}--{document['metadata']['name']}.yaml".lower()


class _ManifestDumper(yaml.SafeDumper):
    """Multi-line text as literal blocks (`|`), line for line: a one-line change to a script or a dashboard in a
    ConfigMap is a one-line diff, where a quoted string would be re-folded around it."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_ManifestDumper.add_representer(str, _text)


def dump(document: dict[str, Any]) -> str:
    # PyYAML quotes a multi-line string that a block cannot hold (trailing spaces on a line, tabs, control
    # characters); tests/infra/render/test_manifests.py fails if one of ours ever needs it.
    return yaml.dump(document, Dumper=_ManifestDumper, sort_keys=True, default_flow_style=False, width=120)
