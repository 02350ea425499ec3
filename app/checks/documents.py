"""The checks that run in process: Python compiles, JSON/YAML/TOML parse, Kubernetes manifests match their schemas.

Each is pure CPU work on text the model wrote, so the runner calls them in a worker thread. Nothing here runs the
project's code: `compile()` only compiles.
"""

import json
import time
import tomllib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, Literal

import jsonschema
import kubernetes_validate
import yaml

from app.checks.model import Result, Tool, errored, failed, passed

#: The Kubernetes version the platform's clusters run (infra/versions.py; tests/app/test_checks_documents.py
#: compares them): generated manifests are applied there.
KUBERNETES_VERSION: Final = "1.33.0"
#: Custom resources the service knows the schema of, from the CRDs the platform installs (tools/crd_schema.py).
CUSTOM_SCHEMAS: Final = {("gateway.networking.k8s.io/v1", "HTTPRoute"): "gateway.networking.k8s.io_v1_httproute.json"}
#: A manifest larger than this many nodes once YAML aliases are expanded is not validated (an alias bomb expands
#: to billions); real manifests have a few hundred.
MAX_MANIFEST_NODES: Final = 50_000
DEPLOY_FOLDER: Final = "deploy/"
WORKFLOWS_FOLDER: Final = ".github/workflows/"

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


Role = Literal["manifest", "dockerfile", "workflow"]


@dataclass(slots=True)
class Checked:
    """One file's in-process results, the time each check took, and which external tool is to see it."""

    results: list[Result] = field(default_factory=list)
    seconds: dict[Tool, float] = field(default_factory=dict)
    role: Role | None = None

    def add(self, result: Result, started: float) -> None:
        self.results.append(result)
        self.seconds[result.tool] = self.seconds.get(result.tool, 0.0) + time.perf_counter() - started


def is_dockerfile(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    lower = name.lower()
    return name in ("Dockerfile", "Containerfile") or lower.endswith(".dockerfile") or name.startswith("Dockerfile.")


def is_workflow(path: str) -> bool:
    return path.startswith(WORKFLOWS_FOLDER) and path.endswith((".yml", ".yaml"))


def check_file(path: str, text: str) -> Checked:
    """Every in-process check of one file, and its role for the external tools."""
    found = Checked(role="dockerfile" if is_dockerfile(path) else None)
    started = time.perf_counter()
    if path.endswith(".py"):
        found.add(_compile(path, text), started)
    elif path.endswith(".json"):
        found.add(_json(path, text), started)
    elif path.endswith(".toml"):
        found.add(_toml(path, text), started)
    elif path.endswith((".yaml", ".yml")):
        documents, result = _yaml(path, text)
        found.add(result, started)
        if is_workflow(path):
            found.role = "workflow"
        elif documents is not None and (path.startswith(DEPLOY_FOLDER) or any(map(_is_object, documents))):
            validated = time.perf_counter()
            found.add(validate_manifest(path, documents), validated)
            if all(_within(document, MAX_MANIFEST_NODES) for document in documents):
                found.role = "manifest"
            else:
                # checkov would expand the aliases too: a 507-byte file took it to 900 MB before RLIMIT_AS stopped
                # it, enough for two such files to get the pod killed for memory.
                reason = f"not scanned: more than {MAX_MANIFEST_NODES} nodes once YAML aliases are expanded"
                found.add(failed("checkov", path, reason), validated)
    return found


def _compile(path: str, text: str) -> Result:
    try:
        with warnings.catch_warnings(action="ignore"):  # invalid escapes and the like are not errors
            compile(text, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return failed("python-compile", path, f"line {exc.lineno}: {exc.msg}")
    except ValueError as exc:  # null bytes
        return failed("python-compile", path, str(exc))
    except (RecursionError, MemoryError):
        return failed("python-compile", path, "nested too deeply to compile")
    return passed("python-compile", path)


def _json(path: str, text: str) -> Result:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return failed("json", path, f"line {exc.lineno} column {exc.colno}: {exc.msg}")
    except (RecursionError, ValueError) as exc:
        return failed("json", path, "nested too deeply" if isinstance(exc, RecursionError) else str(exc))
    return passed("json", path)


def _toml(path: str, text: str) -> Result:
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return failed("toml", path, str(exc))
    except RecursionError:
        return failed("toml", path, "nested too deeply")
    return passed("toml", path)


def _yaml(path: str, text: str) -> tuple[list[Any] | None, Result]:
    try:
        documents = list(yaml.load_all(text, Loader=_Loader))  # a safe loader, C or Python
    except yaml.YAMLError as exc:
        return None, failed("yaml", path, " ".join(str(exc).split()).replace('in "<unicode string>", ', ""))
    except RecursionError:
        return None, failed("yaml", path, "nested too deeply")
    return [document for document in documents if document is not None], passed("yaml", path)


def _is_object(document: Any) -> bool:
    return isinstance(document, dict) and "apiVersion" in document and "kind" in document


def validate_manifest(path: str, documents: list[Any]) -> Result:
    """kubernetes-validate (strict) on every object of a manifest file; custom resources against their CRD's schema."""
    problems: list[str] = []
    for index, document in enumerate(documents, start=1):
        where = f"document {index}" if len(documents) > 1 else "the document"
        if not _is_object(document):
            problems.append(f"{where} is not a Kubernetes object (no apiVersion and kind)")
            continue
        if not _within(document, MAX_MANIFEST_NODES):
            problems.append(f"{where} has more than {MAX_MANIFEST_NODES} nodes once YAML aliases are expanded")
            continue
        try:
            problems.extend(f"{where} ({document['kind']}): {problem}" for problem in _object_problems(document))
        except Exception as exc:  # the validator itself failed: say so rather than pass or fail the file
            return errored("kubernetes-validate", path, f"tool error: {type(exc).__name__}: {exc}")
    if problems:
        return failed("kubernetes-validate", path, "; ".join(problems))
    return passed("kubernetes-validate", path)


def _object_problems(document: dict[str, Any]) -> list[str]:
    try:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [_located(error.message, error.absolute_path)]
    except kubernetes_validate.SchemaNotFoundError:
        return _custom_problems(document)
    return []


def _custom_problems(document: dict[str, Any]) -> list[str]:
    key = (str(document["apiVersion"]), str(document["kind"]))
    if key not in CUSTOM_SCHEMAS:
        return [f"no schema for {key[0]} {key[1]} in Kubernetes {KUBERNETES_VERSION} or the platform's CRDs"]
    problems = [_located(error.message, error.absolute_path) for error in _validator(key).iter_errors(document)]
    # A CRD's schema leaves metadata open; the API server checks it as ObjectMeta, which this is a way to reach.
    metadata = document.get("metadata")
    try:
        kubernetes_validate.validate(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata}, KUBERNETES_VERSION, strict=True
        )
    except kubernetes_validate.ValidationError as error:
        problems.append(_located(error.message, error.absolute_path))
    return problems


@lru_cache(maxsize=len(CUSTOM_SCHEMAS))
def _validator(key: tuple[str, str]) -> jsonschema.Draft202012Validator:
    schema = json.loads((Path(__file__).parent / "schemas" / CUSTOM_SCHEMAS[key]).read_text())
    return jsonschema.Draft202012Validator(schema)


def _located(message: str, where: Any) -> str:
    path = "/".join(map(str, where))
    return f"{message} at /{path}" if path else message


def _within(document: Any, limit: int) -> bool:
    """Whether `document` has at most `limit` nodes, counted without expanding it (aliases share objects)."""
    return all(count <= limit for count, _ in enumerate(_nodes(document), start=1))


def _nodes(document: Any) -> Iterator[Any]:
    stack = [document]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
