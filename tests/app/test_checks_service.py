"""`POST /generate` reports the checks of the project it returns, in each response mode, without changing a file:
a generated Python and a generated Node project pass every check that applies to their files; a broken file
the model wrote comes back as written, with the check that found it; /metrics counts the checks.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest

from app.checks import TOOLS
from tests.app.conftest import RunningService, ServiceFactory
from tests.app.fakes import FakeOllama, project_answer
from tests.support.checks import CHECKS_ON

pytestmark = pytest.mark.slow

PROMPT = "A tiny HTTP service"
PYTHON = [
    {"path": "main.py", "content": "from http.server import HTTPServer\nprint(HTTPServer)\n"},
    {"path": "requirements.txt", "content": ""},
    {"path": "pyproject.toml", "content": '[project]\nname = "tiny"\nversion = "0.1.0"\n'},
]
NODE = [
    {"path": "index.js", "content": "require('node:http').createServer((q, s) => s.end('hi')).listen(8080);\n"},
    {"path": "package.json", "content": '{"name": "tiny", "version": "0.1.0", "scripts": {"start": "node index.js"}}'},
]


async def _service(service_factory: ServiceFactory, **settings: Any) -> RunningService:
    return await service_factory(**CHECKS_ON, **settings)


def _expected_tools(path: str) -> set[str]:
    """The checks every file at `path` gets, whatever the scaffold puts there."""
    name = path.rsplit("/", 1)[-1]
    if path.startswith(".github/workflows/"):
        return {"yaml", "actionlint", "zizmor"}
    if path.startswith("deploy/") and name.endswith((".yaml", ".yml")):
        return {"yaml", "kubernetes-validate", "checkov"}
    if name == "Dockerfile":
        return {"hadolint"}
    suffix = name.rsplit(".", 1)[-1]
    return {"py": {"python-compile"}, "json": {"json"}, "toml": {"toml"}, "yaml": {"yaml"}, "yml": {"yaml"}}.get(
        suffix, set()
    )


@pytest.mark.parametrize(("language", "files"), [("python", PYTHON), ("node", NODE)])
async def test_a_generated_project_passes_every_check(
    service_factory: ServiceFactory, ollama: FakeOllama, language: str, files: list[dict[str, str]]
) -> None:
    ollama.answer_with(project_answer(files))
    service = await _service(service_factory)

    body = (await service.client.post("/generate", json={"prompt": PROMPT})).json()

    assert body["language"] == language
    assert [check for check in body["checks"] if not check["ok"]] == []
    tools: dict[str, set[str]] = {}
    for check in body["checks"]:
        tools.setdefault(check["path"], set()).add(check["tool"])
    assert {
        item["path"]: _expected_tools(item["path"]) for item in body["files"] if _expected_tools(item["path"])
    } == tools


async def test_a_broken_file_is_reported_and_returned_as_the_model_wrote_it(
    service_factory: ServiceFactory, ollama: FakeOllama
) -> None:
    broken = "def main(:\n    pass\n"
    ollama.answer_with(project_answer([{"path": "main.py", "content": broken}]))
    service = await _service(service_factory)

    response = await service.client.post("/generate", json={"prompt": PROMPT})

    assert response.status_code == 200
    body = response.json()
    assert next(item["content"] for item in body["files"] if item["path"] == "main.py") == broken
    assert [check for check in body["checks"] if not check["ok"]] == [
        {"tool": "python-compile", "path": "main.py", "ok": False, "message": "line 1: invalid syntax"}
    ]


async def test_the_stream_reports_the_checks_before_its_result(service_factory: ServiceFactory) -> None:
    service = await _service(service_factory)

    response = await service.client.post(
        "/generate", json={"prompt": PROMPT}, headers={"accept": "application/x-ndjson"}
    )

    events = [json.loads(line) for line in response.text.splitlines()]
    assert [event["event"] for event in events[-2:]] == ["checks", "result"]
    checks, result = events[-2:]
    assert checks["checks"] == result["checks"]
    assert checks["passed"] == len(result["checks"]) > 0
    assert checks["failed"] == 0


async def test_the_zip_holds_the_checks_beside_the_project(service_factory: ServiceFactory) -> None:
    service = await _service(service_factory)
    as_json = (await service.client.post("/generate", json={"prompt": PROMPT})).json()

    response = await service.client.post("/generate", json={"prompt": PROMPT}, headers={"accept": "application/zip"})

    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert json.loads(archive.read("CHECKS.json")) == {"checks": as_json["checks"]}
    assert response.headers["x-prompt2prod-checks"] == f"passed={len(as_json['checks'])}, failed=0"
    assert sorted(archive.namelist()) == sorted([item["path"] for item in as_json["files"]] + ["CHECKS.json"])


async def test_a_project_file_named_like_the_checks_file_keeps_its_place(
    service_factory: ServiceFactory, ollama: FakeOllama
) -> None:
    ollama.answer_with(
        project_answer([{"path": "main.py", "content": "print(1)\n"}, {"path": "checks.json", "content": "[]"}])
    )
    service = await _service(service_factory)

    response = await service.client.post("/generate", json={"prompt": PROMPT}, headers={"accept": "application/zip"})

    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.read("checks.json") == b"[]"
    assert "CHECKS.json" not in archive.namelist()
    assert response.headers["x-prompt2prod-checks"].startswith("passed=")


async def test_checks_are_counted_in_the_metrics(service_factory: ServiceFactory) -> None:
    service = await _service(service_factory)
    await service.client.post("/generate", json={"prompt": PROMPT})

    metrics = (await service.client.get("/metrics")).text

    assert 'generator_checks_total{result="ok",tool="python-compile"} 2.0' in metrics
    assert 'generator_checks_total{result="failed",tool="zizmor"} 0.0' in metrics
    assert 'generator_check_seconds_count{tool="hadolint"} 1.0' in metrics


async def test_with_checks_disabled_nothing_is_checked(service: RunningService) -> None:
    body = (await service.client.post("/generate", json={"prompt": PROMPT})).json()
    stream = await service.client.post("/generate", json={"prompt": PROMPT}, headers={"accept": "application/x-ndjson"})

    assert body["checks"] == []
    assert "checks" not in [json.loads(line)["event"] for line in stream.text.splitlines()]


async def test_every_tool_and_result_series_exists_before_any_check(service: RunningService) -> None:
    metrics = (await service.client.get("/metrics")).text

    for tool in TOOLS:
        for result in ("ok", "failed", "error"):
            assert f'generator_checks_total{{result="{result}",tool="{tool}"}} 0.0' in metrics
