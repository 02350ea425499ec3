"""Fixtures for the generator service: fake backends and the real app served by uvicorn on a loopback port."""

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from app.budget import CLIENT_HEADER
from app.main import create_app
from app.server import ReadTimeoutProtocol
from app.settings import Settings, get_settings
from tests.app.fake_github import FakeGitHub
from tests.app.fakes import DEFAULT_MODEL, FakeOllama, FakeOpenAI


@dataclass
class RunningService:
    url: str
    app: FastAPI
    client: httpx.AsyncClient


ServiceFactory = Callable[..., Awaitable[RunningService]]


TEST_CLIENT = "tests"


def closed_port_url() -> str:
    """A loopback URL nobody listens on: bind a port, then release it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
async def ollama() -> AsyncIterator[FakeOllama]:
    fake = FakeOllama()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def cloud() -> AsyncIterator[FakeOpenAI]:
    fake = FakeOpenAI()
    await fake.start()
    yield fake
    await fake.stop()


@asynccontextmanager
async def serve(settings: Settings) -> AsyncIterator[RunningService]:
    app = create_app()
    app.dependency_overrides[get_settings] = lambda: settings
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_config=None, lifespan="on", access_log=False, http=ReadTimeoutProtocol
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    # Every request as the gateway forwards it: with the authenticated client's name (app/budget.py).
    async with httpx.AsyncClient(base_url=url, timeout=30, headers={CLIENT_HEADER: TEST_CLIENT}) as client:
        try:
            yield RunningService(url=url, app=app, client=client)
        finally:
            server.should_exit = True
            await task


@pytest.fixture
async def service_factory(ollama: FakeOllama, cloud: FakeOpenAI) -> AsyncIterator[ServiceFactory]:
    """Start the service with settings pointing at the fakes; keyword arguments override settings."""
    stack: list[Any] = []

    async def start(**overrides: Any) -> RunningService:
        values: dict[str, Any] = {
            "ollama_base_url": ollama.url,
            "generator_model": DEFAULT_MODEL,
            "cloud_llm_base_url": f"{cloud.url}/api/v1",
            "cloud_llm_model": "openai/gpt-4o-mini",
            "cloud_llm_api_key": cloud.api_key,
            "llm_timeout_seconds": 10,
            # The checks run real tools for a second or more per new project: only the tests about them turn
            # them on (tests/app/test_checks_*.py).
            "checks_enabled": False,
        }
        values.update(overrides)
        context = serve(Settings(**values))
        running = await context.__aenter__()
        stack.append(context)
        return running

    yield start
    for context in reversed(stack):
        await context.__aexit__(None, None, None)


@pytest.fixture
async def service(service_factory: ServiceFactory) -> RunningService:
    return await service_factory()


@pytest.fixture
def client(service: RunningService) -> httpx.AsyncClient:
    return service.client


@pytest.fixture
async def github() -> AsyncIterator[FakeGitHub]:
    fake = FakeGitHub()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def publishing(github: FakeGitHub) -> dict[str, Any]:
    """Settings that let the test client publish to `acme` (an organization) and `octo` (the token's user)."""
    return {
        "publish_owners": ["acme", "octo"],
        "publish_clients": [TEST_CLIENT],
        "github_api_url": github.url,
        "github_token": github.token,
    }
