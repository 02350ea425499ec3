"""The checks on a generated project report each broken file by the tool made to find that problem, and pass good
files: a check that flags good files gets turned off, one that misses broken files is worse than none.

One project holds every sample, so that checkov (seconds to start) runs once for the module.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.checks import Result
from app.checks.documents import KUBERNETES_VERSION
from app.project import ProjectFile
from app.scaffold import scaffold
from app.settings import Settings
from infra import versions
from tests.support.checks import (
    HARDENED_DEPLOYMENT,
    HTTP_ROUTE,
    NETWORK_POLICY,
    REPO,
    changed,
    checker,
    manifest,
)

pytestmark = pytest.mark.slow

INJECTION = """name: greet
on:
  issues:
permissions:
  contents: read
jobs:
  greet:
    runs-on: ubuntu-latest
    steps:
      - name: Greet
        run: echo "${{ github.event.issue.title }}"
"""

NEEDS_A_MISSING_JOB = """name: build
on:
  push:
permissions:
  contents: read
jobs:
  build:
    runs-on: ubuntu-latest
    needs: lint
    steps:
      - name: Build
        run: echo build
"""

PRIVILEGED = changed(
    changed(HARDENED_DEPLOYMENT, "metadata.name", "privileged"),
    "spec.template.spec.containers.0.securityContext.privileged",
    True,
)
CERTIFICATE = {"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": {"name": "c"}, "spec": {}}

#: path -> (content, the tools that must fail it, a pattern their messages must match)
BROKEN: dict[str, tuple[str, set[str], str]] = {
    "src/bad.py": ("def handler(:\n    return 1\n", {"python-compile"}, r"line 1: invalid syntax"),
    "config/broken.yaml": ("items: [one, two\nname: x\n", {"yaml"}, r"line \d+"),
    "data/broken.json": ('{"a": 1,}\n', {"json"}, r"line 1 column 9"),
    "broken.toml": ("[tool\nname = 1\n", {"toml"}, r"line 1"),
    "deploy/privileged.yaml": (manifest(PRIVILEGED), {"checkov"}, r"CKV_K8S_16 .*privileged"),
    "deploy/replicas.yaml": (
        manifest(changed(changed(HARDENED_DEPLOYMENT, "metadata.name", "typed"), "spec.replicas", "two")),
        {"kubernetes-validate"},
        r"'two' is not of type 'integer'.* at /spec/replicas",
    ),
    "deploy/route.yaml": (
        manifest(changed(HTTP_ROUTE, "spec.rules.0", {"backendRef": [{"name": "demo", "port": 8080}]})),
        {"kubernetes-validate"},
        r"HTTPRoute.*'backendRef' was unexpected",
    ),
    "deploy/certificate.yaml": (manifest(CERTIFICATE), {"kubernetes-validate"}, r"no schema for cert-manager.io/v1"),
    "legacy/Dockerfile": (
        "FROM ubuntu:latest\nRUN apt-get update && apt-get install -y curl\n",
        {"hadolint"},
        r"DL3007.*DL3008",
    ),
    # Both workflow linters know this injection; zizmor is the one whose job it is.
    ".github/workflows/greet.yml": (INJECTION, {"zizmor", "actionlint"}, r"template-injection|untrusted"),
    ".github/workflows/build.yml": (NEEDS_A_MISSING_JOB, {"actionlint"}, r"job-needs"),
}


def _project() -> list[tuple[str, str]]:
    model = [
        ProjectFile("main.py", "import json\nprint(json.dumps({'ok': True}))\n"),
        ProjectFile("requirements.txt", "fastapi==0.115.0\n"),
        ProjectFile("pyproject.toml", '[project]\nname = "demo"\nversion = "0.1.0"\n'),
        ProjectFile("settings.json", '{"debug": false}\n'),
        ProjectFile("deploy/app.yaml", manifest(HARDENED_DEPLOYMENT, NETWORK_POLICY, HTTP_ROUTE)),
    ]
    files, _, _ = scaffold(model, "demo", settings=Settings())
    return [(item.path, item.content) for item in files] + [(path, spec[0]) for path, spec in BROKEN.items()]


@pytest.fixture(scope="module")
def results() -> list[Result]:
    import asyncio

    return asyncio.run(checker().check(_project()))


def _by_path(results: list[Result]) -> dict[str, list[Result]]:
    found: dict[str, list[Result]] = {}
    for result in results:
        found.setdefault(result.path, []).append(result)
    return found


@pytest.mark.parametrize("path", sorted(BROKEN))
def test_a_broken_file_is_reported_by_the_right_tool(results: list[Result], path: str) -> None:
    _, tools, pattern = BROKEN[path]
    mine = _by_path(results)[path]

    assert {result.tool for result in mine if not result.ok} == tools, mine
    assert all(result.outcome == "failed" for result in mine if not result.ok), mine
    assert re.search(pattern, " ".join(result.message for result in mine if not result.ok)), mine


def test_every_good_file_passes_every_check_that_applies(results: list[Result]) -> None:
    good = {path: found for path, found in _by_path(results).items() if path not in BROKEN}
    tools = {path: {result.tool for result in found} for path, found in good.items()}

    assert [result for found in good.values() for result in found if not result.ok] == []
    assert tools["deploy/app.yaml"] == {"yaml", "kubernetes-validate", "checkov"}
    assert tools["Dockerfile"] == {"hadolint"}
    assert tools[".github/workflows/ci.yml"] == {"yaml", "actionlint", "zizmor"}
    assert tools["main.py"] == {"python-compile"}
    assert tools["pyproject.toml"] == {"toml"}
    assert tools["settings.json"] == {"json"}
    assert "requirements.txt" not in tools  # nothing here knows how to check it


def test_the_manifests_are_checked_for_the_kubernetes_version_the_platform_runs() -> None:
    assert KUBERNETES_VERSION.rsplit(".", 1)[0] == versions.KUBERNETES_VERSION
    # The image keeps only that version's schemas of kubernetes-validate.
    assert f"v{KUBERNETES_VERSION}-local-strict" in (REPO / "app" / "Dockerfile").read_text()


def test_the_httproute_schema_is_the_gateway_api_release_the_platform_installs() -> None:
    schema = (Path(__file__).resolve().parents[2] / "app" / "checks" / "schemas").glob("*httproute*.json")
    comments = [path.read_text().split('"$comment": "', 1)[1].split('"', 1)[0] for path in schema]
    assert comments == [
        f"gateway.networking.k8s.io/v1 HTTPRoute {versions.GATEWAY_API_VERSION}: generated by tools/crd_schema.py"
    ]
