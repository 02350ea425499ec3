"""Graceful shutdown: with a real `uvicorn app.main:app` process, a generation in flight when SIGTERM
arrives still completes with 200, and the process then exits cleanly after closing its backend sessions (the
pooled connections to both backends are closed).
"""

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from app.settings import Settings
from tests.app.conftest import closed_port_url, serve
from tests.app.fakes import DEFAULT_MODEL, FakeOllama, FakeOpenAI

ROOT = Path(__file__).resolve().parents[2]


async def wait_for_health(url: str, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            assert process.poll() is None, "uvicorn exited during startup"
            try:
                if (await client.get(f"{url}/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError("uvicorn did not start")


async def test_sigterm_lets_the_in_flight_generation_finish(ollama: FakeOllama) -> None:
    ollama.delay = 1.5
    url = closed_port_url()
    port = url.rsplit(":", 1)[1]
    env = {**os.environ, "OLLAMA_BASE_URL": ollama.url, "GENERATOR_MODEL": DEFAULT_MODEL}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", port],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        await wait_for_health(url, process)
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            in_flight = asyncio.create_task(client.post("/generate", json={"prompt": "x"}))
            while not ollama.requests:
                await asyncio.sleep(0.01)
            process.send_signal(signal.SIGTERM)

            response = await in_flight

        assert response.status_code == 200
        assert "Dockerfile" in {item["path"] for item in response.json()["files"]}
        returncode = await asyncio.to_thread(process.wait, 10)
        # Uvicorn re-raises the captured SIGTERM once it has shut down cleanly.
        assert returncode in (0, -signal.SIGTERM)
        output = process.stdout.read().decode() if process.stdout else ""
        assert "Application shutdown complete" in output
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


async def test_shutdown_closes_the_connections_to_both_backends(ollama: FakeOllama, cloud: FakeOpenAI) -> None:
    settings = Settings(
        ollama_base_url=ollama.url,
        generator_model=DEFAULT_MODEL,
        cloud_llm_base_url=f"{cloud.url}/api/v1",
        cloud_llm_api_key=cloud.api_key,
    )
    async with serve(settings) as running:
        for mode in ("local", "cloud"):
            assert (
                await running.client.post("/generate", json={"prompt": "x"}, headers={"x-llm-mode": mode})
            ).is_success
        # Pooled keep-alive connections stay open while the service runs.
        assert ollama.open_connections() == 1
        assert cloud.open_connections() == 1

    for _ in range(100):
        if ollama.open_connections() == cloud.open_connections() == 0:
            break
        await asyncio.sleep(0.02)
    assert (ollama.open_connections(), cloud.open_connections()) == (0, 0)
