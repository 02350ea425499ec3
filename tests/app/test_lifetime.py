"""How long a request lives: a client that disconnects cancels the backend call at any point, in every mode
(so 32 connect-and-drop requests cannot hold every generation slot); REQUEST_TIMEOUT_SECONDS bounds the whole
request, retries and streams included; a client that sends its request too slowly is cut off.
"""

import asyncio
import json
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from aiohttp import web

from app.budget import CLIENT_HEADER
from tests.app.conftest import TEST_CLIENT, RunningService, ServiceFactory
from tests.app.fakes import FakeBackend, FakeOllama, FakeOpenAI
from tests.app.faults import trickle, wire
from tests.support.exposition import scrape, value

ACCEPT = {"json": "application/json", "zip": "application/zip", "ndjson": "application/x-ndjson"}


async def one_piece_then_hang(request: web.Request, fake: FakeBackend) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={"Content-Type": "application/x-ndjson" if isinstance(fake, FakeOllama) else "text/event-stream"}
    )
    await response.prepare(request)
    await response.write(wire(fake, '{"files": [', done=False))
    await asyncio.sleep(3600)
    return response


async def open_raw(service: RunningService) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    address = urlsplit(service.url)
    assert address.hostname is not None
    return await asyncio.open_connection(address.hostname, address.port)


def raw_request(headers: dict[str, str], body: bytes) -> bytes:
    lines = ["POST /generate HTTP/1.1", "Host: test", "Content-Type: application/json", f"Content-Length: {len(body)}"]
    lines.append(f"{CLIENT_HEADER}: {TEST_CLIENT}")
    lines += [f"{name}: {text}" for name, text in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def eventually(check: Callable[[], bool], seconds: float = 3.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not within time"
        await asyncio.sleep(0.02)


async def inflight(service: RunningService) -> float:
    return value(scrape((await service.client.get("/metrics")).text), "generator_inflight_generations")


async def assert_served_within(service: RunningService, seconds: str) -> None:
    """Every /generate request took at most `seconds` as the service itself measured it."""
    samples = scrape((await service.client.get("/metrics")).text)
    within = value(samples, "generator_http_request_duration_seconds_bucket", route="/generate", le=seconds)
    assert within == value(samples, "generator_http_request_duration_seconds_count", route="/generate") > 0


@pytest.mark.parametrize("mode", ["local", "cloud"])
@pytest.mark.parametrize("when", ["json", "zip", "ndjson-before-first-token", "ndjson-mid-stream"])
async def test_client_disconnect_cancels_the_backend_call_and_frees_the_slot(
    service_factory: ServiceFactory, ollama: FakeOllama, cloud: FakeOpenAI, mode: str, when: str
) -> None:
    fake: FakeBackend = ollama if mode == "local" else cloud
    if when == "ndjson-mid-stream":
        fake.fault = one_piece_then_hang
    else:
        fake.delay = 3600
    service = await service_factory(max_concurrent_generations=1, llm_timeout_seconds=60)
    reader, writer = await open_raw(service)
    headers = {"x-llm-mode": mode, "accept": ACCEPT[when.split("-")[0]]}
    writer.write(raw_request(headers, json.dumps({"prompt": "x"}).encode()))
    await writer.drain()
    await eventually(lambda: len(fake.requests) == 1)
    if when == "ndjson-mid-stream":
        assert b'"event":"progress"' in await asyncio.wait_for(reader.readuntil(b'"progress"'), 3) + b'"}'

    writer.close()

    await eventually(lambda: fake.cancelled == 1)
    assert await inflight(service) == 0
    fake.delay, fake.fault = 0, None
    after = await service.client.post("/generate", json={"prompt": "x"}, headers={"x-llm-mode": mode})
    assert after.status_code == 200


async def test_connect_and_drop_requests_never_lock_out_other_clients(
    service_factory: ServiceFactory, ollama: FakeOllama
) -> None:
    ollama.delay = 3600
    service = await service_factory(max_concurrent_generations=4, llm_timeout_seconds=60)
    for _ in range(12):
        _, writer = await open_raw(service)
        writer.write(raw_request({}, b'{"prompt": "x"}'))
        await writer.drain()
        writer.close()

    for _ in range(150):
        if await inflight(service) == 0:
            break
        await asyncio.sleep(0.02)
    await eventually(lambda: ollama.cancelled == len(ollama.requests))
    ollama.delay = 0
    responses = await asyncio.gather(*(service.client.post("/generate", json={"prompt": "x"}) for _ in range(4)))

    assert [response.status_code for response in responses] == [200] * 4


async def test_a_retry_never_takes_the_request_past_its_deadline(
    service_factory: ServiceFactory, ollama: FakeOllama
) -> None:
    ollama.delay = 0.6
    ollama.answer_with("not a project")
    service = await service_factory(request_timeout_seconds=1.0, llm_timeout_seconds=0.8)

    started = time.monotonic()
    response = await service.client.post("/generate", json={"prompt": "x"})
    elapsed = time.monotonic() - started

    assert response.status_code == 504
    assert "REQUEST_TIMEOUT_SECONDS" in response.json()["detail"]
    assert elapsed < 2.0  # 1 s, with room for a busy machine
    await assert_served_within(service, "1.0")
    assert len(ollama.requests) == 2  # the retry ran, within what was left


@pytest.mark.parametrize("mode", ["local", "cloud"])
async def test_a_stream_that_never_ends_stops_at_the_request_deadline_with_an_error_event(
    service_factory: ServiceFactory, ollama: FakeOllama, cloud: FakeOpenAI, mode: str
) -> None:
    ollama.fault = cloud.fault = trickle
    service = await service_factory(request_timeout_seconds=1.0, llm_timeout_seconds=30)

    started = time.monotonic()
    response = await service.client.post(
        "/generate", json={"prompt": "x"}, headers={"accept": "application/x-ndjson", "x-llm-mode": mode}
    )
    elapsed = time.monotonic() - started

    last = json.loads(response.text.splitlines()[-1])
    assert last == {"event": "error", "status": 504, "detail": last["detail"]}
    assert "REQUEST_TIMEOUT_SECONDS" in last["detail"]
    assert elapsed < 2.0  # 1 s, with room for a busy machine
    await assert_served_within(service, "1.0")
    samples = scrape((await service.client.get("/metrics")).text)
    assert value(samples, "generator_http_requests_total", route="/generate", status="504") == 1
    assert value(samples, "generator_http_requests_total", route="/generate", status="200") == 0


@pytest.mark.parametrize(
    "sent",
    [b"POST /generate HTTP/1.1\r\nHost: test\r\nContent-Ty", raw_request({}, b'{"prompt": "x"}' + b" " * 100)[:-90]],
    ids=["partial-headers", "partial-body"],
)
async def test_a_client_that_sends_its_request_too_slowly_is_cut_off(
    service_factory: ServiceFactory, ollama: FakeOllama, sent: bytes
) -> None:
    service = await service_factory(client_read_timeout_seconds=0.5)
    reader, writer = await open_raw(service)
    writer.write(sent)
    await writer.drain()

    started = time.monotonic()
    leftover = await asyncio.wait_for(reader.read(), 5)
    elapsed = time.monotonic() - started

    assert leftover == b""
    assert elapsed < 2
    assert ollama.requests == []
    assert await inflight(service) == 0
    writer.close()
