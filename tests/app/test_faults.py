"""Backend and model faults (tests/app/faults.py) never reach a 500 or a cut-off stream: every one ends in the
documented 502/503/504 (or 200 where the service copes), as an HTTP error or as a final NDJSON `error` event,
in both modes and all three response kinds; and the service is still healthy afterwards.
"""

import asyncio
import io
import json
import time
import zipfile

import httpx
import pytest

from tests.app.conftest import RunningService, ServiceFactory
from tests.app.fakes import FakeOllama, FakeOpenAI
from tests.app.faults import FAULTS, Fault, token_per_line
from tests.support.exposition import scrape, value

KINDS = {"json": "application/json", "zip": "application/zip", "ndjson": "application/x-ndjson"}


def outcome(response: httpx.Response, kind: str) -> int:
    """The status the client learns: the HTTP one, or that of the final NDJSON event."""
    if response.status_code != 200:
        assert response.headers["content-type"].startswith("application/json"), response.text[:200]
        assert isinstance(response.json()["detail"], str)
        return response.status_code
    if kind == "zip":
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            assert archive.testzip() is None
        return 200
    if kind == "json":
        assert response.json()["files"]
        return 200
    last = json.loads(response.text.splitlines()[-1])
    assert last["event"] in ("result", "error"), last
    return 200 if last["event"] == "result" else int(last["status"])


@pytest.mark.parametrize("fault", FAULTS, ids=[fault.name for fault in FAULTS])
async def test_backend_fault_maps_to_a_documented_status(
    service_factory: ServiceFactory, ollama: FakeOllama, cloud: FakeOpenAI, fault: Fault
) -> None:
    service = await service_factory(llm_timeout_seconds=0.5)
    for fake in (ollama, cloud):
        if fault.handler is not None:
            fake.fault = fault.handler
        if fault.answer is not None:
            fake.answer_with(fault.answer)
    seen = {}

    for mode in ("local", "cloud"):
        for kind, accept in KINDS.items():
            response = await service.client.post(
                "/generate", json={"prompt": "x"}, headers={"x-llm-mode": mode, "accept": accept}
            )
            seen[mode, kind] = outcome(response, kind)

    assert set(seen.values()) <= fault.statuses, seen
    samples = scrape((await service.client.get("/metrics")).text)
    assert value(samples, "generator_http_requests_total", status="500") == 0
    assert value(samples, "generator_inflight_generations") == 0
    assert (await service.client.get("/health")).status_code == 200


async def generate_while_probing_health(
    service: RunningService, count: int, headers: dict[str, str]
) -> tuple[list[httpx.Response], float]:
    """`count` generations at once, and the longest /health took meanwhile (seconds)."""
    waits: list[float] = []
    finished = asyncio.Event()

    async def probe() -> None:
        while not finished.is_set():
            started = time.perf_counter()
            assert (await service.client.get("/health")).status_code == 200
            waits.append(time.perf_counter() - started)
            await asyncio.sleep(0.01)

    prober = asyncio.create_task(probe())
    responses = await asyncio.gather(
        *(service.client.post("/generate", json={"prompt": "x"}, headers=headers) for _ in range(count))
    )
    finished.set()
    await prober
    return list(responses), max(waits)


@pytest.mark.parametrize("mode", ["local", "cloud"])
async def test_streams_of_a_token_per_line_do_not_hold_up_health(
    service_factory: ServiceFactory, ollama: FakeOllama, cloud: FakeOpenAI, mode: str
) -> None:
    ollama.fault = cloud.fault = token_per_line
    service = await service_factory()

    responses, longest = await generate_while_probing_health(
        service, 4, {"x-llm-mode": mode, "accept": KINDS["ndjson"]}
    )

    assert [json.loads(response.text.splitlines()[-1])["event"] for response in responses] == ["result"] * 4
    assert longest < 0.5  # seconds; 2.2 s when each read's lines were all handed on in one go


async def test_answers_that_are_slow_to_check_do_not_hold_up_health(
    service_factory: ServiceFactory, ollama: FakeOllama
) -> None:
    # 250 KiB of paths 120 folders deep: 120 ms of checking each, on two cores.
    ollama.answer_with(json.dumps({"files": [{"path": "a/" * 119 + "b", "content": ""}] * 950, "summary": "s"}))
    service = await service_factory()

    responses, longest = await generate_while_probing_health(service, 8, {})

    assert [response.status_code for response in responses] == [200] * 8
    assert longest < 0.5  # seconds
