"""Metrics and logs as docs/service.md has them: the exact metric names and labels dashboards and alerts rely on, route
templates (not raw paths) as labels, JSON log lines with request id, route, status, duration and mode/model,
and the cloud API key never appearing in a log line or a response.
"""

import json
from pathlib import Path

import pytest

from app.metrics import METRICS
from tests.app.conftest import RunningService, ServiceFactory, closed_port_url
from tests.app.fakes import DEFAULT_MODEL, FakeOllama, FakeOpenAI
from tests.support.checks import CHECKS_ON
from tests.support.exposition import scrape, value


async def test_metrics_expose_the_design_names_and_labels(service: RunningService) -> None:
    await service.client.post("/generate", json={"prompt": "x"})
    await service.client.post("/generate", json={"prompt": "x"}, headers={"x-llm-mode": "cloud"})

    response = await service.client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = scrape(response.text)
    assert value(samples, "generator_http_requests_total", route="/generate", method="POST", status="200") == 2
    assert value(samples, "generator_http_request_duration_seconds_count", route="/generate") == 2
    for mode, model in (("local", DEFAULT_MODEL), ("cloud", "openai/gpt-4o-mini")):
        assert value(samples, "generator_llm_request_duration_seconds_count", mode=mode, model=model) == 1
        assert value(samples, "generator_llm_tokens_total", mode=mode, model=model, direction="input") == 42
        assert value(samples, "generator_llm_tokens_total", mode=mode, model=model, direction="output") == 314
    assert value(samples, "generator_inflight_generations") == 0


async def test_every_documented_metric_is_exposed_with_exactly_its_labels(
    service_factory: ServiceFactory,
) -> None:
    service = await service_factory(cloud_llm_base_url=closed_port_url(), **CHECKS_ON)
    await service.client.post("/generate", json={"prompt": "x"})
    await service.client.post("/generate", json={"prompt": "x"}, headers={"x-llm-mode": "cloud"})

    samples = scrape((await service.client.get("/metrics")).text)

    for name, labels in METRICS.items():
        series = samples.get(name) or samples.get(f"{name}_count")
        assert series, name
        assert all(set(found) == set(labels) for found, _ in series), name


async def test_llm_errors_are_counted_by_mode_and_reason(service_factory: ServiceFactory, ollama: FakeOllama) -> None:
    service = await service_factory(cloud_llm_base_url=closed_port_url())
    ollama.answer_with("garbage")
    await service.client.post("/generate", json={"prompt": "x"})
    await service.client.post("/generate", json={"prompt": "x"}, headers={"x-llm-mode": "cloud"})

    samples = scrape((await service.client.get("/metrics")).text)

    assert value(samples, "generator_llm_errors_total", mode="local", reason="invalid_output") == 2
    assert value(samples, "generator_llm_errors_total", mode="cloud", reason="unreachable") == 1


async def test_unknown_paths_share_one_route_label(service: RunningService) -> None:
    for path in ("/a", "/b/c", "/d?e=f"):
        await service.client.get(path)

    samples = scrape((await service.client.get("/metrics")).text)

    routes = {labels["route"] for labels, _ in samples["generator_http_requests_total"]}
    assert routes == {"unmatched"}
    assert value(samples, "generator_http_requests_total", route="unmatched", status="404") == 3


async def test_request_id_is_echoed_or_generated(service: RunningService) -> None:
    echoed = await service.client.get("/health", headers={"x-request-id": "abc-123"})
    generated = await service.client.get("/health")
    hostile = await service.client.get("/health", headers={"x-request-id": "bad id\twith spaces"})

    assert echoed.headers["x-request-id"] == "abc-123"
    assert len(generated.headers["x-request-id"]) == 32
    assert hostile.headers["x-request-id"] != "bad id\twith spaces"


async def test_logs_are_json_lines_with_request_fields(
    service_factory: ServiceFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    service = await service_factory()
    capsys.readouterr()
    await service.client.post("/generate", json={"prompt": "secret plans"}, headers={"x-request-id": "req-1"})

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]

    access = [line for line in lines if line.get("request_id") == "req-1" and "status" in line]
    assert len(access) == 1
    entry = access[0]
    assert entry["route"] == "/generate"
    assert entry["status"] == 200
    assert isinstance(entry["duration_ms"], float)
    assert entry["mode"] == "local"
    assert entry["model"] == DEFAULT_MODEL
    assert all("secret plans" not in json.dumps(line) for line in lines)


@pytest.mark.parametrize("accept", ["application/json", "application/zip", "application/x-ndjson"])
async def test_a_generation_logs_its_files_and_attempts_whatever_the_representation(
    service_factory: ServiceFactory, capsys: pytest.CaptureFixture[str], accept: str
) -> None:
    service = await service_factory()
    capsys.readouterr()
    await service.client.post("/generate", json={"prompt": "x"}, headers={"accept": accept, "x-request-id": "gen-1"})

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]

    access = [line for line in lines if line.get("request_id") == "gen-1" and "status" in line]
    assert [(line["status"], line.get("files"), line.get("attempts")) for line in access] == [(200, 9, 1)]


@pytest.mark.parametrize("source", ["env", "file"])
async def test_api_key_never_appears_in_logs_or_responses(
    service_factory: ServiceFactory,
    cloud: FakeOpenAI,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    source: str,
) -> None:
    if source == "file":
        key_file = tmp_path / "api-key"
        key_file.write_text(cloud.api_key + "\n")
        service = await service_factory(cloud_llm_api_key=None, cloud_llm_api_key_file=key_file, log_level="DEBUG")
    else:
        service = await service_factory(log_level="DEBUG")
    texts = []
    for headers in ({"x-llm-mode": "cloud"}, {"x-llm-mode": "cloud", "accept": "application/x-ndjson"}):
        texts.append((await service.client.post("/generate", json={"prompt": "x"}, headers=headers)).text)
    cloud.fail_status = 500
    texts.append((await service.client.post("/generate", json={"prompt": "x"}, headers={"x-llm-mode": "cloud"})).text)
    for path in ("/metrics", "/openapi.json", "/ready", "/models"):
        texts.append((await service.client.get(path)).text)

    captured = capsys.readouterr()
    assert cloud.headers[0]["Authorization"] == f"Bearer {cloud.api_key}"
    assert '"mode":"cloud"' in texts[0]
    for text in [*texts, captured.out, captured.err]:
        assert cloud.api_key not in text


async def test_client_chosen_model_names_do_not_grow_the_metrics(
    service_factory: ServiceFactory, ollama: FakeOllama, cloud: FakeOpenAI
) -> None:
    # A cloud budget above the 150 cloud requests below: this is about labels, not the budget.
    service = await service_factory(cloud_budget_requests_per_hour=1000)
    await service.client.get("/models")  # the local backend lists llama3.2:latest
    ollama.fail_status = cloud.fail_status = 404
    for i in range(150):
        for mode in ("local", "cloud"):
            await service.client.post(
                "/generate", json={"prompt": "x", "model": f"m{i}-{mode}"}, headers={"x-llm-mode": mode}
            )
    ollama.fail_status = None
    await service.client.post("/generate", json={"prompt": "x", "model": "llama3.2"})

    text = (await service.client.get("/metrics")).text
    samples = scrape(text)

    models = {labels["model"] for name, series in samples.items() for labels, _ in series if "model" in labels}
    assert models <= {DEFAULT_MODEL, "openai/gpt-4o-mini", "llama3.2:latest", "other"}
    assert value(samples, "generator_llm_request_duration_seconds_count", model="other") == 300
    assert value(samples, "generator_llm_request_duration_seconds_count", model="llama3.2:latest") == 1
    assert len(text) < 20_000


async def test_fastapi_pages_have_their_own_route_label(service: RunningService) -> None:
    for path in ("/openapi.json", "/docs"):
        assert (await service.client.get(path)).status_code == 200

    samples = scrape((await service.client.get("/metrics")).text)

    assert value(samples, "generator_http_requests_total", route="/openapi.json", status="200") == 1
    assert value(samples, "generator_http_requests_total", route="/docs", status="200") == 1
    assert value(samples, "generator_http_requests_total", route="unmatched") == 0


async def test_a_stream_ending_in_an_error_event_is_logged_and_counted_with_its_status(
    service_factory: ServiceFactory, ollama: FakeOllama, capsys: pytest.CaptureFixture[str]
) -> None:
    # The handler binds stdout when the service starts: start it under capsys.
    service = await service_factory()
    ollama.answer_with("not a project")
    capsys.readouterr()

    response = await service.client.post(
        "/generate", json={"prompt": "x"}, headers={"accept": "application/x-ndjson", "x-request-id": "nd-1"}
    )

    assert response.status_code == 200
    assert json.loads(response.text.splitlines()[-1])["status"] == 502
    samples = scrape((await service.client.get("/metrics")).text)
    assert value(samples, "generator_http_requests_total", route="/generate", status="502") == 1
    assert value(samples, "generator_http_requests_total", route="/generate", status="200") == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert [line["status"] for line in lines if line.get("request_id") == "nd-1" and "status" in line] == [502]


async def test_an_unexpected_error_is_one_json_line_with_the_request_id(
    service_factory: ServiceFactory, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    service = await service_factory()

    def broken(*_: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(service.app.state.generation, "respond", broken)
    capsys.readouterr()

    response = await service.client.post("/generate", json={"prompt": "x"}, headers={"x-request-id": "bug-1"})

    assert response.status_code == 500
    assert response.json() == {"detail": "internal error"}
    assert response.headers["x-request-id"] == "bug-1"
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines() if line.strip()]
    errors = [line for line in lines if line["level"] == "error"]
    assert len(errors) == 1
    assert errors[0]["request_id"] == "bug-1"
    assert errors[0]["exc_type"] == "RuntimeError"
    assert "Traceback" not in captured.err
