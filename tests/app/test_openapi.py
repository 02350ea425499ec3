"""Property-based checks of the live API against its own `/openapi.json` (schemathesis): whatever a client
sends, the service never answers with a server error, and answers conform to the documented schema.
"""

import asyncio
import threading
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from app.settings import Settings
from tests.app.conftest import serve
from tests.app.fakes import DEFAULT_MODEL, FakeOllama, FakeOpenAI


@pytest.fixture(scope="module")
def live_url() -> Iterator[str]:
    """The service and both fakes on a private event loop in a thread: schemathesis calls it synchronously."""
    loop = asyncio.new_event_loop()
    ready: asyncio.Future[str] = loop.create_future()
    stop = asyncio.Event()

    async def main() -> None:
        ollama, cloud = FakeOllama(), FakeOpenAI()
        await ollama.start()
        await cloud.start()
        settings_ = Settings(
            ollama_base_url=ollama.url,
            generator_model=DEFAULT_MODEL,
            cloud_llm_base_url=f"{cloud.url}/api/v1",
            cloud_llm_api_key=cloud.api_key,
            max_prompt_chars=50_000,
            log_level="WARNING",
        )
        async with serve(settings_) as running:
            ready.set_result(running.url)
            await stop.wait()
        await ollama.stop()
        await cloud.stop()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    url = asyncio.run_coroutine_threadsafe(asyncio.wait_for(asyncio.shield(ready), 10), loop).result(15)
    yield url
    loop.call_soon_threadsafe(stop.set)
    thread.join(15)


def test_api_never_answers_with_a_server_error(live_url: str) -> None:
    schema = schemathesis.openapi.from_url(f"{live_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/health", "/ready", "/models", "/generate", "/metrics"}

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate()

        check()
