"""The dependency-update configuration (renovate.json) reaches every pin, so that none is silently left behind.

Guards a chart, image, digest or tool version added to `infra/versions.py` (or `.pulumi.version`), or an action
pinned by the generated projects' workflow (`app/ci_workflow.py`), in a shape no Renovate rule matches: the bot
would never propose its updates and nobody would notice. Renovate's regexes are ECMAScript (RE2) ones; the few
constructs they use read the same in Python once named groups are spelt `(?P<…>)`.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from app.ci_workflow import ACTIONS
from infra import versions
from tests.support import REPO

CONFIG: dict[str, Any] = json.loads((REPO / "renovate.json").read_text())
VERSIONS_FILE = "infra/versions.py"


def _file_pattern(pattern: str) -> re.Pattern[str]:
    assert pattern[:1] == pattern[-1:] == "/", f"{pattern}: a regex pattern is written /…/"
    return re.compile(pattern[1:-1])


def _python(regex: str) -> re.Pattern[str]:
    return re.compile(regex.replace("(?<", "(?P<").replace("(?P<=", "(?<=").replace("(?P<!", "(?<!"), re.MULTILINE)


def captured(path: str) -> list[dict[str, str]]:
    """What the custom managers capture in `path`: one dict of named groups and templates per dependency."""
    text = (REPO / path).read_text()
    found = []
    for manager in CONFIG["customManagers"]:
        if not any(_file_pattern(p).search(path) for p in manager["managerFilePatterns"]):
            continue
        for regex in manager["matchStrings"]:
            for match in _python(regex).finditer(text):
                groups = {k: v for k, v in match.groupdict().items() if v is not None}
                groups.setdefault("depName", manager.get("depNameTemplate", ""))
                groups.setdefault("datasource", manager.get("datasourceTemplate", ""))
                found.append(groups)
    return found


def pins() -> dict[str, str]:
    """Every pinned value of `infra.versions`: chart versions, image tags and digests, tool versions."""
    found: dict[str, str] = {}
    for name, value in vars(versions).items():
        if isinstance(value, versions.Chart):
            found[f"{name} (chart)"] = value.version
        elif isinstance(value, str) and name.endswith(("_TAG", "_VERSION", "_DIGEST")):
            found[name] = value
    return found


def test_every_pin_of_infra_versions_is_matched_by_a_rule_that_names_its_dependency() -> None:
    matched = captured(VERSIONS_FILE)
    assert all(m["depName"] and m["datasource"] for m in matched), matched
    values = {m.get("currentValue") for m in matched} | {m.get("currentDigest") for m in matched}
    missed = {name: value for name, value in pins().items() if value not in values}
    assert not missed, f"no renovate.json rule matches these pins of {VERSIONS_FILE}: {missed}"
    assert len(pins()) >= 12


def test_images_are_updated_with_their_digest_where_pinned_by_one() -> None:
    images = {m["depName"]: m for m in captured(VERSIONS_FILE) if m["datasource"] == "docker"}
    assert images[versions.REGISTRY_IMAGE]["currentDigest"] == versions.REGISTRY_DIGEST
    for image in (versions.OLLAMA_IMAGE, versions.PYTHON_IMAGE, versions.PAUSE_IMAGE):
        assert "currentDigest" not in images[image], image


def test_the_pulumi_cli_pin_is_matched_and_grouped_with_the_sdks() -> None:
    (cli,) = captured(".pulumi.version")
    assert cli["currentValue"] == (REPO / ".pulumi.version").read_text().strip()
    (pulumi,) = [rule for rule in CONFIG["packageRules"] if rule.get("groupName") == "Pulumi"]
    assert {cli["depName"], "pulumi"} <= set(pulumi["matchPackageNames"])


@pytest.mark.parametrize(
    ("manager", "files"),
    [
        ("pip-compile", sorted(str(p.relative_to(REPO)) for p in (REPO / "tools").glob("*.lock.txt"))),
        ("pip_requirements", ["app/requirements.txt"]),
    ],
)
def test_every_python_lock_file_has_its_manager(manager: str, files: list[str]) -> None:
    assert files
    patterns = [_file_pattern(p) for p in CONFIG[manager]["managerFilePatterns"]]
    assert all(any(p.search(file) for p in patterns) for file in files), files


def test_the_managers_that_read_the_other_pins_are_enabled() -> None:
    """uv.lock (pep621), the SHA-pinned actions, the CRD validators' npm lock and the Dockerfile base use Renovate's
    built-in file patterns; they only need to be enabled."""
    assert {"pep621", "github-actions", "npm", "dockerfile", "pip-compile", "pip_requirements", "custom.regex"} <= set(
        CONFIG["enabledManagers"]
    )
    assert "helpers:pinGitHubActionDigests" in CONFIG["extends"]
    assert (REPO / "uv.lock").is_file()
    assert (REPO / "tools" / "crds" / "package-lock.json").is_file()
    assert (REPO / "app" / "Dockerfile").is_file()


# Renovate's pip-compile manager re-runs the command in a lock file's header; it refuses short options and options
# whose value is not joined by `=` (renovatebot/renovate, lib/modules/manager/pip-compile/common.ts).
VALUE_OPTIONS = ("--python-version", "--output-file", "--constraint", "--extra", "--extra-index-url")


@pytest.mark.parametrize("lock", sorted((REPO / "tools").glob("*.lock.txt")), ids=lambda path: path.name)
def test_each_tool_lock_names_a_command_renovate_can_rerun(lock: Path) -> None:
    header = lock.read_text().splitlines()[1]
    command = shlex.split(header.removeprefix("#"))
    assert command[:3] == ["uv", "pip", "compile"], header
    options = [arg for arg in command[3:] if arg.startswith("-")]
    assert all(arg.startswith("--") for arg in options), header
    assert all("=" in arg for arg in options if arg.split("=")[0] in VALUE_OPTIONS), header
    assert f"--output-file=tools/{lock.name}" in options


def test_every_action_the_generated_workflow_pins_is_updated_with_its_commit() -> None:
    matched = {m["depName"]: (m["currentDigest"], m["currentValue"]) for m in captured("app/ci_workflow.py")}
    assert all(m["datasource"] == "github-tags" for m in captured("app/ci_workflow.py"))
    assert matched == {action.repository: (action.commit, action.version) for action in ACTIONS}
