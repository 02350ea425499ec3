"""`POST /generate` over real HTTP against fake Ollama and OpenAI-compatible servers.

Guards the contract of docs/service.md: structured output is asked for in each backend's own wire format, the
model's files are validated and completed with scaffolding, and the project comes back as JSON, zip or
NDJSON progress events, in both local and cloud mode.
"""

import io
import json
import re
import zipfile

import pytest
import yaml

from app.paths import DEPLOY_MANIFESTS
from tests.app.conftest import RunningService, ServiceFactory
from tests.app.fakes import DEFAULT_MODEL, FakeOllama, FakeOpenAI, project_answer

PROMPT = "A Flask app that says hello"


async def test_local_generation_returns_model_files_plus_scaffolding(
    service: RunningService, ollama: FakeOllama
) -> None:
    response = await service.client.post("/generate", json={"prompt": PROMPT})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    paths = [item["path"] for item in body["files"]]
    assert paths[0] == "main.py"
    assert {"Dockerfile", ".github/workflows/ci.yml", "README.md", "tests/test_smoke.py"} <= set(paths)
    assert body["mode"] == "local"
    assert body["model"] == DEFAULT_MODEL
    assert body["language"] == "python"
    assert body["summary"] == "A tiny service."
    assert body["usage"] == {"input_tokens": 42, "output_tokens": 314}
    assert body["attempts"] == 1
    dockerfile = next(item["content"] for item in body["files"] if item["path"] == "Dockerfile")
    assert "USER 10001" in dockerfile


async def test_local_request_uses_ollama_structured_output_without_streaming(
    service: RunningService, ollama: FakeOllama
) -> None:
    await service.client.post("/generate", json={"prompt": PROMPT, "model": "llama3.2"})

    sent = ollama.requests[-1]
    assert sent["model"] == "llama3.2"
    assert sent["stream"] is False
    assert sent["format"]["required"] == ["files", "summary"]
    assert sent["messages"][-1] == {"role": "user", "content": PROMPT}


async def test_cloud_generation_sends_json_schema_and_bearer_key(service: RunningService, cloud: FakeOpenAI) -> None:
    response = await service.client.post("/generate", json={"prompt": PROMPT}, headers={"x-llm-mode": "cloud"})

    assert response.status_code == 200
    body = response.json()
    assert body["mode"] == "cloud"
    assert body["model"] == "openai/gpt-4o-mini"
    assert body["usage"] == {"input_tokens": 42, "output_tokens": 314}
    sent = cloud.requests[-1]
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["schema"]["required"] == ["files", "summary"]
    assert cloud.headers[-1]["Authorization"] == f"Bearer {cloud.api_key}"


@pytest.mark.parametrize("mode", ["CLOUD", "Cloud", "", "local,cloud", "cloud;q=1", "remote"])
async def test_mode_header_other_than_exactly_local_or_cloud_is_400(
    service: RunningService, cloud: FakeOpenAI, ollama: FakeOllama, mode: str
) -> None:
    # The gateway routes on the exact values: the service must not answer a mode the gateway would not route.
    response = await service.client.post("/generate", json={"prompt": PROMPT}, headers={"x-llm-mode": mode})

    assert response.status_code == 400
    assert "'local' or 'cloud'" in response.json()["detail"]
    assert cloud.requests == ollama.requests == []


async def test_mode_header_given_twice_is_400(service: RunningService) -> None:
    headers = [("x-llm-mode", "cloud"), ("x-llm-mode", "cloud")]

    response = await service.client.post("/generate", json={"prompt": PROMPT}, headers=headers)

    assert response.status_code == 400


async def test_absent_mode_header_is_local(service: RunningService, cloud: FakeOpenAI) -> None:
    response = await service.client.post("/generate", json={"prompt": PROMPT})

    assert response.json()["mode"] == "local"
    assert cloud.requests == []


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("application/zip;q=0, application/json", "application/json"),
        ("application/zip", "application/zip"),
        ("application/json;q=0.5, application/zip", "application/zip"),
        ("application/zip;q=0.4, application/json;q=0.9", "application/json"),
        ("application/x-ndjson;q=0, */*", "application/json"),
        ("*/*", "application/json"),
        ("text/html", "application/json"),
        ("application/x-ndjson", "application/x-ndjson"),
    ],
)
async def test_accept_header_quality_values_choose_the_representation(
    service: RunningService, accept: str, content_type: str
) -> None:
    response = await service.client.post("/generate", json={"prompt": PROMPT}, headers={"accept": accept})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(content_type)


async def test_files_written_by_the_model_are_not_replaced_by_scaffolding(
    service: RunningService, ollama: FakeOllama
) -> None:
    own = [
        {"path": "app.py", "content": "print(1)\n"},
        {"path": "Dockerfile", "content": "FROM scratch\n"},
        {"path": "tests/test_app.py", "content": "def test_one():\n    assert 1\n"},
    ]
    ollama.answer_with(project_answer(own))

    body = (await service.client.post("/generate", json={"prompt": PROMPT})).json()

    files = {item["path"]: item["content"] for item in body["files"]}
    assert files["Dockerfile"] == "FROM scratch\n"
    assert "tests/test_smoke.py" not in files
    assert body["scaffolded"] == ["README.md", ".github/workflows/ci.yml", *DEPLOY_MANIFESTS]


async def test_node_project_gets_node_scaffolding(service: RunningService, ollama: FakeOllama) -> None:
    ollama.answer_with(project_answer([{"path": "index.js", "content": "console.log('hi')\n"}]))

    body = (await service.client.post("/generate", json={"prompt": PROMPT})).json()

    files = {item["path"]: item["content"] for item in body["files"]}
    assert body["language"] == "node"
    assert files["Dockerfile"].startswith("FROM node:")
    assert "USER 10001" in files["Dockerfile"]
    assert "npm test" in files[".github/workflows/ci.yml"]
    assert json.loads(files["package.json"])["scripts"]["test"] == "node --test"
    assert "test/smoke.test.js" in files


async def test_zip_response_holds_the_same_project(service: RunningService) -> None:
    as_json = (await service.client.post("/generate", json={"prompt": PROMPT})).json()
    response = await service.client.post("/generate", json={"prompt": PROMPT}, headers={"accept": "application/zip"})

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert "project.zip" in response.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        unpacked = {name: archive.read(name).decode() for name in archive.namelist()}
    assert unpacked == {item["path"]: item["content"] for item in as_json["files"]}


@pytest.mark.parametrize("mode", ["local", "cloud"])
async def test_ndjson_streams_progress_then_the_result(
    service: RunningService, ollama: FakeOllama, cloud: FakeOpenAI, mode: str
) -> None:
    long_answer = project_answer([{"path": "main.py", "content": "print('hello')\n" * 200}])
    ollama.answer_with(long_answer)
    cloud.answer_with(long_answer)
    events = []
    async with service.client.stream(
        "POST",
        "/generate",
        json={"prompt": PROMPT},
        headers={"accept": "application/x-ndjson", "x-llm-mode": mode},
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/x-ndjson")
        async for line in response.aiter_lines():
            if line:
                events.append(json.loads(line))

    kinds = [event["event"] for event in events]
    assert kinds[0] == "started"
    assert kinds[-1] == "result"
    chars = [event["chars"] for event in events if event["event"] == "progress"]
    # One event per 512 characters or so, not one per streamed piece (the fake streams ~64 pieces).
    assert 4 <= len(chars) <= len(long_answer) // 512 + 1
    assert chars == sorted(chars)
    result = events[-1]
    assert result["mode"] == mode
    assert result["usage"] == {"input_tokens": 42, "output_tokens": 314}
    assert "Dockerfile" in {item["path"] for item in result["files"]}


async def test_ndjson_local_request_asks_ollama_to_stream(service: RunningService, ollama: FakeOllama) -> None:
    await service.client.post("/generate", json={"prompt": PROMPT}, headers={"accept": "application/x-ndjson"})

    assert ollama.requests[-1]["stream"] is True


async def test_ndjson_retry_is_reported_as_an_event(service: RunningService, ollama: FakeOllama) -> None:
    ollama.answer_with("not json at all", project_answer())

    response = await service.client.post(
        "/generate", json={"prompt": PROMPT}, headers={"accept": "application/x-ndjson"}
    )

    events = [json.loads(line) for line in response.text.splitlines() if line]
    assert [e["event"] for e in events if e["event"] in ("retry", "result")] == ["retry", "result"]
    assert events[-1]["attempts"] == 2


async def test_ndjson_unusable_output_twice_ends_with_an_error_event(
    service: RunningService, ollama: FakeOllama
) -> None:
    ollama.answer_with("nope")

    response = await service.client.post(
        "/generate", json={"prompt": PROMPT}, headers={"accept": "application/x-ndjson"}
    )

    last = json.loads(response.text.splitlines()[-1])
    assert last["event"] == "error"
    assert last["status"] == 502
    assert last["detail"]


async def test_the_deployment_follows_the_services_settings_not_the_model(
    service_factory: ServiceFactory, ollama: FakeOllama
) -> None:
    service = await service_factory(
        apps_domain="apps.example.com", registry_server="registry.example.com", gateway_name="edge"
    )
    ollama.answer_with(
        project_answer(
            [
                {"path": "index.js", "content": "require('http').createServer().listen(process.env.PORT)\n"},
                {"path": "package.json", "content": json.dumps({"name": "Todo API", "scripts": {"start": "x"}})},
            ]
        )
    )

    body = (await service.client.post("/generate", json={"prompt": PROMPT})).json()

    files = {item["path"]: item["content"] for item in body["files"]}
    route = yaml.safe_load(files["deploy/httproute.yaml"])["spec"]
    (host,) = route["hostnames"]
    assert re.fullmatch(r"todo-api-[0-9a-f]{8}\.apps\.example\.com", host)
    name = host.split(".")[0]
    assert route["parentRefs"][0]["name"] == "edge"
    deploy_env = yaml.safe_load(files[".github/workflows/ci.yml"])["jobs"]["deploy"]["env"]
    assert deploy_env["IMAGE"] == f"registry.example.com/{name}"
