"""A backend's or model's JSON never costs the service far more memory than its bytes: 8 MiB of `[{},{},…]`
would be 2.8 million objects, about 400 MB once parsed (the pod's limit is 512 Mi), so a document with more
objects and arrays than any project needs is refused before it is parsed, wherever it comes from: the model's
answer, the backend's body, the model listing behind /ready and /models.
"""

import pytest
from aiohttp import web

from tests.app.conftest import ServiceFactory
from tests.app.fakes import FakeBackend, FakeOllama
from tests.app.faults import MiB

#: Just under the 8 MiB cap on a backend's body, room left for the wrapping.
_WIDE = b"[" + b"{}," * ((8 * MiB - 4096) // 3) + b"{}]"


def _megabytes(field: str) -> int:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(field + ":"))
    return int(line.split()[1]) // 1024


class PeakMemory:
    """The growth of this process's peak RSS (the service runs in it) from now on."""

    def __enter__(self) -> "PeakMemory":
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # resets VmHWM to the current RSS
        self.start = _megabytes("VmRSS")
        self.growth = 0
        return self

    def __exit__(self, *_: object) -> None:
        self.growth = _megabytes("VmHWM") - self.start


async def wide_body(request: web.Request, fake: FakeBackend) -> web.StreamResponse:
    body = b'{"model": "m", "done": true, "message": {"content": "x"}, "context": ' + _WIDE + b"}"
    return web.Response(body=body, content_type="application/json")


async def test_a_model_answer_of_millions_of_empty_objects_is_refused_unparsed(
    service_factory: ServiceFactory, ollama: FakeOllama
) -> None:
    ollama.answer_with('{"files": ' + _WIDE.decode() + "}")
    service = await service_factory()

    with PeakMemory() as peak:
        response = await service.client.post("/generate", json={"prompt": "x"})

    assert response.status_code == 502
    assert peak.growth < 150  # MB; about 500 when it was parsed


async def test_a_backend_body_of_millions_of_empty_objects_is_refused_unparsed(
    service_factory: ServiceFactory, ollama: FakeOllama
) -> None:
    ollama.fault = wide_body
    service = await service_factory()

    with PeakMemory() as peak:
        response = await service.client.post("/generate", json={"prompt": "x"})

    assert response.status_code == 502
    assert peak.growth < 150  # MB


@pytest.mark.parametrize("path", ["/ready", "/models"])
async def test_a_model_listing_of_millions_of_empty_objects_is_refused_unparsed(
    service_factory: ServiceFactory, ollama: FakeOllama, path: str
) -> None:
    ollama.tags_body = b'{"models": ' + _WIDE + b"}"
    service = await service_factory()

    with PeakMemory() as peak:
        response = await service.client.get(path)

    assert response.status_code in (502, 503)
    assert peak.growth < 150  # MB
