"""A generated Python and a generated Node project pass the tools a reviewer would run on their deployment.

The scaffold's own output, through the service: the manifests under `deploy/` are valid for the Kubernetes version
the repository targets (strict: no unknown field) and the HTTPRoute for the Gateway API; checkov finds nothing in
them or in the Dockerfile (the only skips carry their reason); hadolint finds nothing in the Dockerfile; actionlint
and zizmor (offline) find nothing in the workflow. Each tool runs once over both projects.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from app.paths import CI_WORKFLOW, DEPLOY_MANIFESTS
from tests.app.conftest import RunningService
from tests.app.fakes import FakeOllama, project_answer
from tests.support import CHECKOV, REPO
from tests.support.crd_schemas import validate_manifest

PROJECTS = {
    "python": [
        {"path": "main.py", "content": "import os\nprint(os.environ['PORT'])\n"},
        {"path": "requirements.txt", "content": "flask==3.1.0\n"},
    ],
    "node": [{"path": "server.js", "content": "require('http').createServer().listen(process.env.PORT)\n"}],
}


def tool(name: str) -> str:
    local = REPO / ".venv" / "bin" / name
    found = str(local) if local.exists() else shutil.which(name)
    assert found, f"{name} is not installed: run `make install`"
    return found


@pytest.fixture
async def generated(service: RunningService, ollama: FakeOllama, tmp_path: Path) -> Path:
    """Both projects as the service returns them, unpacked side by side under `tmp_path/<language>/`."""
    for language, files in PROJECTS.items():
        ollama.answer_with(project_answer(files))
        body = (await service.client.post("/generate", json={"prompt": language})).json()
        assert body["language"] == language
        for item in body["files"]:
            target = tmp_path / language / item["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(item["content"])
    return tmp_path


def paths(root: Path, relative: str) -> list[str]:
    return [str(root / language / relative) for language in PROJECTS]


def test_the_manifests_are_valid_kubernetes_and_gateway_api_objects(generated: Path) -> None:
    problems: list[str] = []
    for path in (Path(p) for manifest in DEPLOY_MANIFESTS for p in paths(generated, manifest)):
        document = yaml.safe_load(path.read_text())
        outcome = validate_manifest(document)
        assert outcome is not None, f"{path}: no schema to check {document['kind']} against"
        problems.extend(f"{path}: {message}" for message in outcome)
    assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_checkov_finds_nothing_in_the_manifests_and_dockerfiles(
    generated: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # checkov skips hidden folders (the workflow's); the manifests and Dockerfiles are all it needs to see.
    scanned = tmp_path_factory.mktemp("checkov")
    for language in PROJECTS:
        shutil.copytree(generated / language / "deploy", scanned / language / "deploy")
        shutil.copy(generated / language / "Dockerfile", scanned / language / "Dockerfile")

    result = subprocess.run(
        [CHECKOV, "-d", str(scanned), "--framework", "kubernetes", "dockerfile", "--skip-download", "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )

    assert result.returncode in (0, 1), result.stderr
    reports = json.loads(result.stdout)
    assert isinstance(reports, list), "checkov checked nothing"  # one report per framework
    failed = [check["check_id"] for part in reports for check in part.get("results", {}).get("failed_checks", [])]
    assert failed == []
    skipped = [check for part in reports for check in part.get("results", {}).get("skipped_checks", [])]
    assert all(len(check["check_result"].get("suppress_comment", "").strip()) >= 10 for check in skipped)
    assert sum(part.get("summary", {}).get("passed", 0) for part in reports) > 0


def test_hadolint_finds_nothing_in_the_dockerfiles(generated: Path) -> None:
    result = subprocess.run(
        [tool("hadolint"), "--failure-threshold", "info", *paths(generated, "Dockerfile")],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_actionlint_finds_nothing_in_the_workflows(generated: Path) -> None:
    result = subprocess.run(
        [tool("actionlint"), "-no-color", *paths(generated, CI_WORKFLOW)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing_in_the_workflows(generated: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("GH_TOKEN", "GITHUB_TOKEN", "ZIZMOR_GITHUB_TOKEN")}
    result = subprocess.run(
        [tool("zizmor"), "--offline", "--persona", "pedantic", "--format", "json", *paths(generated, CI_WORKFLOW)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=env,
    )

    findings = json.loads(result.stdout or "[]")
    assert findings == [], "\n".join(f"{f['ident']}: {f['desc']}" for f in findings)
    assert result.returncode == 0, result.stderr
