"""The service as the container runs it (the CMD of app/Dockerfile, a real uvicorn process): every line it
writes is JSON, uvicorn's own from the first one; a bad environment variable stops it with one clear line
naming the variable, not a traceback; a key file that would block a reader (a FIFO) does not stop it starting.
"""

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from app.budget import CLIENT_HEADER
from tests.app.conftest import TEST_CLIENT, closed_port_url
from tests.app.fakes import DEFAULT_MODEL, FakeOllama
from tests.app.test_shutdown import wait_for_health

ROOT = Path(__file__).resolve().parents[2]


def container_command(port: str) -> list[str]:
    """The Dockerfile's CMD (exec form, continuation lines joined), on a loopback port."""
    text = (ROOT / "app" / "Dockerfile").read_text().replace("\\\n", " ")
    match = re.search(r"^CMD (\[.*\])$", text, re.MULTILINE)
    assert match is not None
    command: list[str] = json.loads(match.group(1))
    assert command[0] == "uvicorn"
    command[command.index("--host") + 1] = "127.0.0.1"
    command[command.index("--port") + 1] = port
    return [sys.executable, "-m", *command]


@asynccontextmanager
async def container(env: dict[str, str]) -> AsyncIterator[tuple[str, subprocess.Popen[bytes]]]:
    url = closed_port_url()
    process = subprocess.Popen(
        container_command(url.rsplit(":", 1)[1]),
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        yield url, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.to_thread(process.wait, 10)


def output_lines(process: subprocess.Popen[bytes]) -> list[str]:
    assert process.stdout is not None
    return [line for line in process.stdout.read().decode().splitlines() if line.strip()]


async def test_every_line_is_json_from_the_first(ollama: FakeOllama) -> None:
    # Checks off: checkov takes seconds on a project's manifests, more than this client waits (they are tested over
    # HTTP in tests/app/test_checks_service.py).
    env = {"OLLAMA_BASE_URL": ollama.url, "GENERATOR_MODEL": DEFAULT_MODEL, "CHECKS_ENABLED": "false"}
    async with container(env) as (url, process):
        await wait_for_health(url, process)
        async with httpx.AsyncClient(base_url=url) as client:
            assert (await client.post("/generate", json={"prompt": "x"})).status_code == 200
            assert (await client.get("/nope")).status_code == 404

    lines = output_lines(process)
    entries = [json.loads(line) for line in lines]  # raises on the first line that is not JSON
    messages = [entry["message"] for entry in entries]
    assert messages[0].startswith("Started server process")
    assert any(message.startswith("Uvicorn running on") for message in messages)
    assert [entry["status"] for entry in entries if entry.get("route") == "/generate"] == [200]
    assert "Application shutdown complete." in messages


async def test_a_bad_environment_variable_stops_the_service_with_one_clear_line() -> None:
    async with container({"LOG_LEVEL": "LOUD", "MAX_CONCURRENT_GENERATIONS": "0"}) as (_, process):
        returncode = await asyncio.to_thread(process.wait, 20)

    assert returncode != 0
    lines = output_lines(process)
    entries = [json.loads(line) for line in lines]
    errors = [entry for entry in entries if entry["level"] == "error" and "problems" in entry]
    assert len(errors) == 1
    assert [problem.split(":")[0] for problem in errors[0]["problems"]] == ["MAX_CONCURRENT_GENERATIONS", "LOG_LEVEL"]
    assert not any("Traceback" in line for line in lines)
    assert len(lines) < 10


async def test_a_fifo_as_key_file_does_not_stop_the_service_starting(ollama: FakeOllama, tmp_path: Path) -> None:
    key_file = tmp_path / "cloud-llm-api-key"
    os.mkfifo(key_file)
    env = {"OLLAMA_BASE_URL": ollama.url, "GENERATOR_MODEL": DEFAULT_MODEL, "CLOUD_LLM_API_KEY_FILE": str(key_file)}
    async with container(env) as (url, process):
        await wait_for_health(url, process)
        async with httpx.AsyncClient(base_url=url) as client:
            cloud = await client.post(
                "/generate", json={"prompt": "x"}, headers={"x-llm-mode": "cloud", CLIENT_HEADER: TEST_CLIENT}
            )

    assert cloud.status_code == 503
    assert "not a regular file" in cloud.json()["detail"]
