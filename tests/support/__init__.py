"""Helpers for tests that run the program: stack config with overrides, and lookups in a render."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.config import PROJECT, StackConfig, deep_merge, parse_config
from infra.gateway.routes import HTTP_PORT, HTTPS_PORT
from infra.render import RenderResult
from infra.render.stack_file import encode_config_value, read_stack_file

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"
KUBERNETES_VERSION = "1.33.0"
"""The Kubernetes API version the rendered manifests are validated against (strict schemas)."""

RenderStack = Callable[..., RenderResult]
"""The `render_stack` fixture (tests/conftest.py): `render_stack("dev", overrides, secrets=...)`."""


@dataclass(frozen=True)
class StackInput:
    values: dict[str, str]
    secret_keys: frozenset[str]


def stack_input(
    stack: str, overrides: Mapping[str, Any] | None = None, secrets: Mapping[str, str] | None = None
) -> StackInput:
    """The committed `Pulumi.<stack>.yaml` with `overrides` deep-merged into its `prompt2prod:*` keys."""
    raw = read_stack_file(REPO / f"Pulumi.{stack}.yaml")
    values = dict(raw.values)
    for key, value in (overrides or {}).items():
        full = f"{PROJECT}:{key}"
        if value is None:
            values.pop(full, None)
            continue
        current = values.get(full)
        if isinstance(value, dict) and current is not None and current.startswith("{"):
            value = deep_merge(json.loads(current), value)
        values[full] = encode_config_value(value)
    secret_keys = set(raw.secret_keys)
    for key, secret in (secrets or {}).items():
        values[f"{PROJECT}:{key}"] = secret
        secret_keys.add(f"{PROJECT}:{key}")
    return StackInput(values, frozenset(secret_keys))


def stack_config(
    stack: str, overrides: Mapping[str, Any] | None = None, secrets: Mapping[str, str] | None = None
) -> StackConfig:
    """The validated config of `stack_input(stack, overrides, secrets)`."""
    given = stack_input(stack, overrides, secrets)
    return parse_config(given.values, given.secret_keys)


def serving_port(stack: str) -> int:
    """The port the stack's gateway serves its routes on: 443 with TLS, else 80."""
    return HTTP_PORT if stack_config(stack).platform.gateway.tls == "none" else HTTPS_PORT


def validate_builtin_kinds(document: dict[str, Any], version: str = KUBERNETES_VERSION) -> None:
    """Strict schema validation of a built-in kind; custom resources are left to `tests/gates` (CRD schemas)."""
    import kubernetes_validate

    try:
        kubernetes_validate.validate(document, version, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        return


def run(
    args: Sequence[str],
    *,
    timeout: float,
    cwd: Path | None = REPO,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command to its end with its stdout and stderr captured as text; the caller judges the exit code."""
    return subprocess.run(
        list(args), cwd=cwd, env=env, input=stdin, capture_output=True, text=True, check=False, timeout=timeout
    )


def run_module(
    module: str, *args: str, timeout: float = 120, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m <module> <args>` from the repository root, as a user runs the project's commands."""
    return run([sys.executable, "-m", module, *args], timeout=timeout, env=env)


CHECKOV = REPO / ".tools" / "checkov" / "bin" / "checkov"


def run_checkov(directory: Path, framework: str) -> dict[str, Any]:
    # No --quiet: it would drop skipped checks from the report, and the gate must see every skip's reason.
    assert CHECKOV.exists() or shutil.which("checkov"), "checkov is not installed: run `make install`"
    binary = str(CHECKOV) if CHECKOV.exists() else "checkov"
    completed = run(
        [binary, "-d", str(directory), "--framework", framework, "--skip-download", "-o", "json"], cwd=None, timeout=600
    )
    assert completed.returncode in (0, 1), completed.stderr
    report = json.loads(completed.stdout)
    # checkov prints a bare summary (no "results") when it finds nothing to check.
    return report if isinstance(report, dict) else {"results": {}, "summary": report}
