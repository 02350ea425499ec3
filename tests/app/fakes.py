"""Fake LLM backends on real sockets, speaking the real wire formats.

`FakeOllama` answers `/api/chat` (one JSON object, or NDJSON chunks when `stream` is true) and `/api/tags`;
`FakeOpenAI` answers `/chat/completions` (one JSON object, or server-sent events ending in `data: [DONE]`).
Both record what they were sent, can be slowed down, can fail with a chosen HTTP status, and can be made
hostile: `fault` replaces the answer with any handler (see tests/app/faults.py). They count the calls whose
client went away before the answer (`cancelled`) and the connections still open to them.
"""

import asyncio
import json
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

#: A hostile answer: gets the request (already recorded) and the fake, and answers however it likes.
Fault = Callable[[web.Request, "FakeBackend"], Awaitable[web.StreamResponse]]

DEFAULT_MODEL = "llama3.2:3b"


def project_answer(files: list[dict[str, str]] | None = None, summary: str = "A tiny service.") -> str:
    files = files if files is not None else [{"path": "main.py", "content": "print('hello')\n"}]
    return json.dumps({"files": files, "summary": summary})


def _chunks(text: str) -> list[str]:
    size = max(16, len(text) // 64)  # a large answer in at most ~64 pieces, so that it streams quickly
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


@dataclass
class FakeBackend(ABC):
    """Common behaviour: queued answers (the last one repeats), delay, forced status, recorded requests."""

    answers: deque[str] = field(default_factory=lambda: deque([project_answer()]))
    delay: float = 0.0
    fail_status: int | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    input_tokens: int = 42
    output_tokens: int = 314
    url: str = ""
    fault: Fault | None = None
    cancelled: int = 0
    _runner: web.AppRunner | None = None

    def answer_with(self, *answers: str) -> None:
        self.answers = deque(answers)

    def next_answer(self) -> str:
        return self.answers.popleft() if len(self.answers) > 1 else self.answers[0]

    async def _record(self, request: web.Request) -> dict[str, Any]:
        body: dict[str, Any] = await request.json() if request.can_read_body else {}
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        if self.delay:
            await asyncio.sleep(self.delay)
        return body

    @abstractmethod
    def routes(self) -> list[web.RouteDef]: ...

    @web.middleware
    async def _watch(self, request: web.Request, handler: Callable[[web.Request], Awaitable[Any]]) -> Any:
        try:
            return await handler(request)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise

    def open_connections(self) -> int:
        return len(self._runner.server.connections) if self._runner and self._runner.server else 0

    async def start(self) -> str:
        app = web.Application(middlewares=[self._watch])
        app.add_routes(self.routes())
        # Handlers are cancelled when their client disconnects, so that `cancelled` sees it.
        self._runner = web.AppRunner(app, shutdown_timeout=0.1, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@dataclass
class FakeOllama(FakeBackend):
    models: list[str] = field(default_factory=lambda: [DEFAULT_MODEL, "llama3.2:latest"])
    tags_delay: float = 0.0
    tags_body: Any = None  # answered by /api/tags instead of the listing of `models` (bytes: as they are)

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/api/chat", self.chat), web.get("/api/tags", self.tags)]

    async def tags(self, request: web.Request) -> web.Response:
        self.requests.append({"path": "/api/tags"})
        await asyncio.sleep(self.tags_delay)
        if self.fail_status:
            return web.json_response({"error": "boom"}, status=self.fail_status)
        if isinstance(self.tags_body, bytes):
            return web.Response(body=self.tags_body, content_type="application/json")
        if self.tags_body is not None:
            return web.json_response(self.tags_body)
        return web.json_response(
            {
                "models": [
                    {
                        "name": name,
                        "model": name,
                        "modified_at": "2025-01-01T00:00:00Z",
                        "size": 4_683_087_332,
                        "digest": "0" * 64,
                        "details": {"format": "gguf", "family": "qwen2"},
                    }
                    for name in self.models
                ]
            }
        )

    async def chat(self, request: web.Request) -> web.StreamResponse:
        body = await self._record(request)
        if self.fault is not None:
            return await self.fault(request, self)
        if self.fail_status:
            return web.json_response({"error": f"model '{body.get('model')}' failed"}, status=self.fail_status)
        model = body.get("model", DEFAULT_MODEL)
        answer = self.next_answer()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ")
        final = {
            "model": model,
            "created_at": stamp,
            "done": True,
            "done_reason": "stop",
            "total_duration": 1_000_000,
            "prompt_eval_count": self.input_tokens,
            "eval_count": self.output_tokens,
        }
        if not body.get("stream", True):
            return web.json_response({**final, "message": {"role": "assistant", "content": answer}})
        response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
        await response.prepare(request)
        for piece in _chunks(answer):
            line = {"model": model, "created_at": stamp, "message": {"role": "assistant", "content": piece}}
            await response.write(json.dumps({**line, "done": False}).encode() + b"\n")
        await response.write(json.dumps({**final, "message": {"role": "assistant", "content": ""}}).encode() + b"\n")
        await response.write_eof()
        return response


@dataclass
class FakeOpenAI(FakeBackend):
    api_key: str = "sk-test-cloud-key-0123456789"

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/api/v1/chat/completions", self.completions)]

    async def completions(self, request: web.Request) -> web.StreamResponse:
        body = await self._record(request)
        if self.fault is not None:
            return await self.fault(request, self)
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return web.json_response({"error": {"message": "No auth credentials found", "code": 401}}, status=401)
        if self.fail_status:
            return web.json_response({"error": {"message": "upstream failed"}}, status=self.fail_status)
        model = body.get("model", "openai/gpt-4o-mini")
        answer = self.next_answer()
        usage = {
            "prompt_tokens": self.input_tokens,
            "completion_tokens": self.output_tokens,
            "total_tokens": self.input_tokens + self.output_tokens,
        }
        base = {"id": "gen-1", "created": 1_700_000_000, "model": model}
        if not body.get("stream"):
            return web.json_response(
                {
                    **base,
                    "object": "chat.completion",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": answer},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": usage,
                }
            )
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(b": OPENROUTER PROCESSING\n\n")
        for piece in _chunks(answer):
            chunk = {
                **base,
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": {"role": "assistant", "content": piece}, "finish_reason": None}],
            }
            await response.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
        last = {**base, "object": "chat.completion.chunk", "choices": [], "usage": usage}
        await response.write(b"data: " + json.dumps(last).encode() + b"\n\n")
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response
