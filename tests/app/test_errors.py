"""Every error of docs/service.md is JSON with a message and the right status, never a 500: invalid request 422,
unknown mode 400, too large 413, saturated 429 with Retry-After, backend unreachable 503, timeout 504,
unusable output or failing backend 502.
"""

import asyncio
import json

import httpx
import pytest

from tests.app.conftest import RunningService, ServiceFactory, closed_port_url
from tests.app.fakes import FakeOllama, FakeOpenAI


def assert_json_error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    detail = response.json()["detail"]
    assert isinstance(detail, str)
    assert detail
    return detail


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"prompt": ""},
        {"prompt": "   "},
        {"prompt": 42},
        {"prompt": "x", "model": "bad model name"},
        {"prompt": "x", "surprise": True},
        ["prompt"],
    ],
    ids=[
        "missing-prompt",
        "empty-prompt",
        "blank-prompt",
        "prompt-not-string",
        "bad-model",
        "extra-field",
        "list",
    ],
)
async def test_invalid_request_is_422(client: httpx.AsyncClient, ollama: FakeOllama, body: object) -> None:
    assert_json_error(await client.post("/generate", json=body), 422)
    assert ollama.requests == []


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b'{"prompt": "\xff\xfe"}',
        b"[" * 5000 + b"]" * 5000,
        b'{"prompt": ' + b"[" * 3000 + b"]" * 3000 + b"}",
    ],
    ids=["syntax", "invalid-utf8", "nested-too-deep", "prompt-nested-too-deep"],
)
async def test_body_that_is_not_json_is_422(client: httpx.AsyncClient, ollama: FakeOllama, content: bytes) -> None:
    response = await client.post("/generate", content=content, headers={"content-type": "application/json"})

    assert_json_error(response, 422)
    assert ollama.requests == []


async def test_unknown_llm_mode_is_400(client: httpx.AsyncClient, ollama: FakeOllama) -> None:
    response = await client.post("/generate", json={"prompt": "x"}, headers={"x-llm-mode": "quantum"})

    assert "x-llm-mode" in assert_json_error(response, 400)
    assert ollama.requests == []


async def test_prompt_longer_than_max_prompt_chars_is_413(service_factory: ServiceFactory) -> None:
    service = await service_factory(max_prompt_chars=100)

    response = await service.client.post("/generate", json={"prompt": "x" * 101})

    assert "MAX_PROMPT_CHARS" in assert_json_error(response, 413)
    assert (await service.client.post("/generate", json={"prompt": "x" * 100})).status_code == 200


async def test_body_over_the_raw_size_cap_is_413(service_factory: ServiceFactory) -> None:
    service = await service_factory(max_request_bytes=2048)

    response = await service.client.post("/generate", json={"prompt": "y" * 4000})

    assert_json_error(response, 413)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_body_exactly_at_the_size_cap_is_accepted_one_byte_more_is_413(
    service_factory: ServiceFactory, chunked: bool
) -> None:
    service = await service_factory(max_request_bytes=2048)

    async def post(size: int) -> httpx.Response:
        body = b'{"prompt": "' + b"y" * (size - len(b'{"prompt": ""}')) + b'"}'
        assert len(body) == size

        async def chunks():  # type: ignore[no-untyped-def]
            for start in range(0, len(body), 500):
                yield body[start : start + 500]

        content = chunks() if chunked else body
        return await service.client.post("/generate", content=content, headers={"content-type": "application/json"})

    assert (await post(2048)).status_code == 200
    assert_json_error(await post(2049), 413)


async def test_chunked_body_over_the_raw_size_cap_is_413(service_factory: ServiceFactory) -> None:
    service = await service_factory(max_request_bytes=2048)

    async def chunks():  # type: ignore[no-untyped-def]
        yield b'{"prompt": "'
        for _ in range(10):
            yield b"z" * 1000
        yield b'"}'

    response = await service.client.post("/generate", content=chunks(), headers={"content-type": "application/json"})

    assert_json_error(response, 413)


async def test_backend_unreachable_is_503(service_factory: ServiceFactory) -> None:
    service = await service_factory(ollama_base_url=closed_port_url())

    response = await service.client.post("/generate", json={"prompt": "x"})

    assert "unreachable" in assert_json_error(response, 503)


async def test_backend_unreachable_with_ndjson_is_503_before_streaming(
    service_factory: ServiceFactory,
) -> None:
    service = await service_factory(ollama_base_url=closed_port_url())

    response = await service.client.post("/generate", json={"prompt": "x"}, headers={"accept": "application/x-ndjson"})

    assert_json_error(response, 503)


async def test_cloud_backend_unreachable_is_503(service_factory: ServiceFactory) -> None:
    service = await service_factory(cloud_llm_base_url=closed_port_url())

    response = await service.client.post("/generate", json={"prompt": "x"}, headers={"x-llm-mode": "cloud"})

    assert_json_error(response, 503)


@pytest.mark.parametrize("mode", ["local", "cloud"])
async def test_slow_backend_is_504(
    service_factory: ServiceFactory, ollama: FakeOllama, cloud: FakeOpenAI, mode: str
) -> None:
    ollama.delay = cloud.delay = 2.0
    service = await service_factory(llm_timeout_seconds=0.3)

    response = await service.client.post("/generate", json={"prompt": "x"}, headers={"x-llm-mode": mode})

    assert "LLM_TIMEOUT_SECONDS" in assert_json_error(response, 504)


async def test_slow_backend_while_streaming_is_504(service_factory: ServiceFactory, ollama: FakeOllama) -> None:
    ollama.delay = 2.0
    service = await service_factory(llm_timeout_seconds=0.3)

    response = await service.client.post("/generate", json={"prompt": "x"}, headers={"accept": "application/x-ndjson"})

    assert_json_error(response, 504)


@pytest.mark.parametrize(("backend_status", "status"), [(500, 502), (404, 502), (503, 503)])
async def test_backend_error_status_maps_to_a_gateway_error(
    service: RunningService, ollama: FakeOllama, backend_status: int, status: int
) -> None:
    ollama.fail_status = backend_status

    response = await service.client.post("/generate", json={"prompt": "x"})

    detail = assert_json_error(response, status)
    assert "failed" not in detail  # the backend's own body is not echoed


async def test_a_hanging_model_listing_is_504_naming_the_probe_limit(
    service: RunningService, ollama: FakeOllama
) -> None:
    ollama.tags_delay = 30

    response = await service.client.get("/models")

    detail = assert_json_error(response, 504)
    assert "5 s" in detail
    assert "LLM_TIMEOUT_SECONDS" not in detail


async def test_cloud_without_api_key_is_503(service_factory: ServiceFactory, cloud: FakeOpenAI) -> None:
    service = await service_factory(cloud_llm_api_key=None)

    response = await service.client.post("/generate", json={"prompt": "x"}, headers={"x-llm-mode": "cloud"})

    assert "CLOUD_LLM_API_KEY" in assert_json_error(response, 503)
    assert cloud.requests == []


async def test_cloud_rejecting_the_key_is_502(service_factory: ServiceFactory) -> None:
    service = await service_factory(cloud_llm_api_key="sk-wrong")

    response = await service.client.post("/generate", json={"prompt": "x"}, headers={"x-llm-mode": "cloud"})

    assert "401" in assert_json_error(response, 502)


async def test_saturation_is_429_with_retry_after(service_factory: ServiceFactory, ollama: FakeOllama) -> None:
    ollama.delay = 0.5
    service = await service_factory(max_concurrent_generations=2)

    first = [asyncio.create_task(service.client.post("/generate", json={"prompt": "x"})) for _ in range(2)]
    while len(ollama.requests) < 2:
        await asyncio.sleep(0.01)
    rejected = await service.client.post("/generate", json={"prompt": "x"})
    streamed = await service.client.post("/generate", json={"prompt": "x"}, headers={"accept": "application/x-ndjson"})
    admitted = await asyncio.gather(*first)

    assert_json_error(rejected, 429)
    assert int(rejected.headers["retry-after"]) >= 1
    assert_json_error(streamed, 429)
    assert [r.status_code for r in admitted] == [200, 200]
    assert (await service.client.post("/generate", json={"prompt": "x"})).status_code == 200


async def test_unknown_route_is_json_404(client: httpx.AsyncClient) -> None:
    assert_json_error(await client.get("/nope"), 404)


async def test_wrong_method_is_json_405(client: httpx.AsyncClient) -> None:
    assert_json_error(await client.get("/generate"), 405)


async def test_error_bodies_are_single_json_objects(client: httpx.AsyncClient) -> None:
    response = await client.post("/generate", json={"prompt": 1})

    assert set(json.loads(response.text)) == {"detail"}
