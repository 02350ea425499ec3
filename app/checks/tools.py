"""The external tools: how each is called on the files it checks, and how its report becomes results per file.

Each tool gets its files in a folder of its own, under names the runner chose (`<n>/<name>`), and its report is
mapped back to the project's paths. Config files the model may have written (`.hadolint.yaml`, `zizmor.yml`,
`.github/actionlint.yaml`) are never handed over: the checks are the service's, not the project's.
"""

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from app.checks.model import Result, Tool, errored, failed, passed

#: The most findings listed in one result's message; the rest are counted.
MAX_FINDINGS_LISTED: Final = 20


class UnreadableReport(Exception):
    """The tool's output is not the report it documents."""


@dataclass(frozen=True, slots=True)
class ExternalTool:
    tool: Tool
    binary: str
    #: argv after the binary, given the files' names as written (relative to the run's folder).
    arguments: Callable[[list[str]], list[str]]
    #: written name -> findings (one line each), from the tool's exit code and standard output.
    findings: Callable[[int, bytes], dict[str, list[str]]]


def results(tool: Tool, names: dict[str, str], found: dict[str, list[str]]) -> list[Result]:
    """One result per checked file (`names`: written name -> project path)."""
    out: list[Result] = []
    for name, path in names.items():
        problems = found.get(name, [])
        if not problems:
            out.append(passed(tool, path))
            continue
        listed = problems[:MAX_FINDINGS_LISTED]
        more = len(problems) - len(listed)
        out.append(failed(tool, path, "; ".join(listed) + (f"; and {more} more" if more else "")))
    return out


def tool_errors(tool: Tool, paths: list[str], message: str) -> list[Result]:
    return [errored(tool, path, f"tool error: {message}") for path in paths]


def _json(stdout: bytes) -> Any:
    try:
        return json.loads(stdout or b"null")
    except ValueError as exc:
        raise UnreadableReport(f"not the JSON report expected: {stdout[:200]!r}") from exc


def _hadolint(returncode: int, stdout: bytes) -> dict[str, list[str]]:
    report = _json(stdout)
    if returncode not in (0, 1) or not isinstance(report, list):
        raise UnreadableReport(f"exit {returncode}")
    found: dict[str, list[str]] = defaultdict(list)
    for item in report:
        found[item["file"]].append(f"line {item['line']}: {item['code']} ({item['level']}) {item['message']}")
    return found


def _actionlint(returncode: int, stdout: bytes) -> dict[str, list[str]]:
    report = _json(stdout)
    if returncode not in (0, 1) or not isinstance(report, list | None):
        raise UnreadableReport(f"exit {returncode}")
    found: dict[str, list[str]] = defaultdict(list)
    for item in report or []:
        found[item["filepath"]].append(f"line {item['line']}: [{item['kind']}] {item['message']}")
    return found


def _zizmor_path(finding: dict[str, Any]) -> str | None:
    for location in finding.get("locations", []):
        key = location.get("symbolic", {}).get("key", {}).get("Local", {})
        for value in key.values():
            if isinstance(value, str):
                return value
    return None


def _zizmor(returncode: int, stdout: bytes) -> dict[str, list[str]]:
    # 0: no finding; 10 to 14: findings, by their highest severity.
    report = _json(stdout)
    if not (returncode == 0 or 10 <= returncode <= 14) or not isinstance(report, list):
        raise UnreadableReport(f"exit {returncode}")
    found: dict[str, list[str]] = defaultdict(list)
    for finding in report:
        path = _zizmor_path(finding)
        if finding.get("ignored") or path is None:
            continue
        row = next(
            (
                location["concrete"]["location"]["start_point"]["row"] + 1
                for location in finding["locations"]
                if location.get("symbolic", {}).get("kind") == "Primary"
            ),
            None,
        )
        severity = finding.get("determinations", {}).get("severity", "?")
        found[path].append(f"line {row}: {finding['ident']} ({severity}) {finding['desc']}")
    return found


def _checkov(returncode: int, stdout: bytes) -> dict[str, list[str]]:
    report = _json(stdout)
    if returncode not in (0, 1) or not isinstance(report, dict):
        raise UnreadableReport(f"exit {returncode}")
    found: dict[str, list[str]] = defaultdict(list)
    results = report.get("results", {})
    for check in results.get("failed_checks", []):
        found[_checkov_name(check["file_path"])].append(
            f"{check['check_id']} {check['check_name']} ({check['resource']})"
        )
    for path in results.get("parsing_errors", []):
        found[_checkov_name(path)].append("checkov could not parse it")
    return found


def _checkov_name(path: str) -> str:
    # Failed checks name the file relative to the working folder with a leading slash (`/checkov/0.yaml`),
    # parsing errors by its absolute path.
    at = path.rfind("checkov/")
    return path[at:] if at >= 0 else f"checkov/{path.lstrip('/')}"


def hadolint(binary: str) -> ExternalTool:
    # Every rule counts, style included, as for the service's own Dockerfile.
    return ExternalTool(
        "hadolint",
        binary,
        lambda names: ["--no-color", "--format", "json", "--failure-threshold", "info", *names],
        _hadolint,
    )


def actionlint(binary: str) -> ExternalTool:
    # shellcheck and pyflakes are used when on PATH: disabled, so that results do not depend on the machine.
    return ExternalTool(
        "actionlint",
        binary,
        lambda names: ["-no-color", "-format", "{{json .}}", "-shellcheck=", "-pyflakes=", *names],
        _actionlint,
    )


def zizmor(binary: str) -> ExternalTool:
    return ExternalTool(
        "zizmor",
        binary,
        lambda names: ["--offline", "--no-config", "--no-progress", "--format", "json", *names],
        _zizmor,
    )


def checkov(binary: str) -> ExternalTool:
    # A folder, not files: checkov's graph checks (a Deployment without a NetworkPolicy) need the objects together.
    return ExternalTool(
        "checkov",
        binary,
        lambda names: ["-d", "checkov", "--framework", "kubernetes", "--skip-download", "-o", "json"],
        _checkov,
    )
