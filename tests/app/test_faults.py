"""Backend and model faults (tests/app/faults.py) never reach a 500 or a cut-off stream: every one ends in the
documented 502/503/504 (or 200 where the service copes), as an HTTP error or as a final NDJSON `error` event,
in both modes and all three response kinds; and the service is still healthy afterwards.
"""

import io
import json
import zipfile

import httpx
import pytest

from tests.app.conftest import ServiceFactory
from tests.app.fakes import FakeOllama, FakeOpenAI
from tests.app.faults import FAULTS, Fault
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
