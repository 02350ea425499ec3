"""Hostile backends: each fault is what a broken or malicious Ollama / OpenAI-compatible server (or a model)
really sends, on the real wire, with the statuses the service must answer with (docs/service.md).

A fault either replaces the fake's handler (`handler`, for transport and wire faults) or only what the model
says (`answer`, for model faults); `statuses` are the outcomes allowed (200 where the service copes).
"""

import asyncio
import functools
import gzip
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from tests.app.fakes import FakeBackend, FakeOllama, project_answer

MiB = 1024 * 1024
Handler = Callable[[web.Request, FakeBackend], Awaitable[web.StreamResponse]]


def _streaming(fake: FakeBackend) -> bool:
    body = fake.requests[-1]
    return bool(body.get("stream", isinstance(fake, FakeOllama)))


def wire(fake: FakeBackend, content: str, *, model: object = "m", tokens: object = 1, done: bool = True) -> bytes:
    """A whole answer in the fake's wire format, streamed answers as one single line (or event)."""
    if isinstance(fake, FakeOllama):
        chunk = {"model": model, "message": {"role": "assistant", "content": content}, "done": done}
        chunk |= {"prompt_eval_count": tokens, "eval_count": tokens}
        return json.dumps(chunk).encode() + (b"\n" if _streaming(fake) else b"")
    if not _streaming(fake):
        choice = {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
        usage = {"prompt_tokens": tokens, "completion_tokens": tokens}
        return json.dumps({"model": model, "choices": [choice], "usage": usage}).encode()
    choice = {"index": 0, "delta": {"content": content}}
    event = b"data: " + json.dumps({"model": model, "choices": [choice]}).encode() + b"\n\n"
    return event + (b"data: [DONE]\n\n" if done else b"")


def _content_type(fake: FakeBackend) -> str:
    if not _streaming(fake):
        return "application/json"
    return "application/x-ndjson" if isinstance(fake, FakeOllama) else "text/event-stream"


async def _send(request: web.Request, fake: FakeBackend, body: bytes, **headers: str) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": _content_type(fake), **headers})
    await response.prepare(request)
    await response.write(body)
    await response.write_eof()
    return response


async def _hang() -> None:
    await asyncio.sleep(3600)


async def huge_declared(request: web.Request, fake: FakeBackend) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": _content_type(fake), "Content-Length": str(900 * MiB)})
    await response.prepare(request)
    await response.write(b"{" + b" " * MiB)
    await _hang()
    return response


async def huge_chunked(request: web.Request, fake: FakeBackend) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": _content_type(fake)})
    await response.prepare(request)
    await response.write(b'{"message": {"content": "')
    for _ in range(40):
        await response.write(b"x" * MiB)
    await response.write_eof()
    return response


async def deep_json_body(request: web.Request, fake: FakeBackend) -> web.StreamResponse:
    return await _send(request, fake, b"[" * 200_000 + b"]" * 200_000 + b"\n")


async def long_valid_line(request: web.Request, fake: FakeBackend) -> web.StreamResponse:
    files = [{"path": f"big{i}.py", "content": "x" * 200_000} for i in range(3)]
    return await _send(request, fake, wire(fake, project_answer(files)))


async def reset_mid_body(request: web.Request, fake: FakeBackend) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": _content_type(fake), "Content-Length": "100000"})
    await response.prepare(request)
    await response.write(wire(fake, project_answer())[:40])
    assert request.transport is not None
    request.transport.abort()
    return response


async def hang_before_headers(request: web.Request, fake: FakeBackend) -> web.StreamResponse:
    await _hang()
    raise AssertionError("unreachable")


async def hang_mid_body(request: web.Request, fake: FakeBackend) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": _content_type(fake)})
    await response.prepare(request)
    await response.write(wire(fake, project_answer())[:40])
    await _hang()
    return response


async def trickle(request: web.Request, fake: FakeBackend) -> web.StreamResponse:
    """Keeps the connection busy with a token every 50 ms, for ever (streams); a slow body otherwise."""
    response = web.StreamResponse(headers={"Content-Type": _content_type(fake)})
    await response.prepare(request)
    while True:
        await response.write(wire(fake, "{", done=False) if _streaming(fake) else b" ")
        await asyncio.sleep(0.05)


async def html_page(request: web.Request, fake: FakeBackend) -> web.StreamResponse:
    return web.Response(text="<html><body>Bad gateway</body></html>", content_type="text/html")


async def truncated_stream(request: web.Request, fake: FakeBackend) -> web.StreamResponse:
    return await _send(request, fake, wire(fake, '{"files": [', done=False))


async def invalid_utf8(request: web.Request, fake: FakeBackend) -> web.StreamResponse:
    return await _send(request, fake, b"\xff\xfe\xfa" + wire(fake, project_answer()))


@functools.cache
def _bomb() -> bytes:
    return gzip.compress(b" " * (16 * MiB), compresslevel=1)


async def gzip_bomb(request: web.Request, fake: FakeBackend) -> web.StreamResponse:
    return await _send(request, fake, _bomb(), **{"Content-Encoding": "gzip"})


async def redirect(request: web.Request, fake: FakeBackend) -> web.StreamResponse:
    raise web.HTTPTemporaryRedirect("http://169.254.169.254/latest/meta-data/")


async def empty_ok(request: web.Request, fake: FakeBackend) -> web.StreamResponse:
    return await _send(request, fake, b"")


async def not_http(request: web.Request, fake: FakeBackend) -> web.StreamResponse:
    assert request.transport is not None
    request.transport.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
    request.transport.close()
    await _hang()
    raise AssertionError("unreachable")


async def error_mid_stream(request: web.Request, fake: FakeBackend) -> web.StreamResponse:
    if isinstance(fake, FakeOllama):
        return await _send(request, fake, b'{"error": "model crashed"}\n')
    return await _send(request, fake, b'data: {"error": {"message": "model crashed"}}\n\n')


async def hostile_metadata(request: web.Request, fake: FakeBackend) -> web.StreamResponse:
    """A valid answer whose model name and token counts are garbage."""
    return await _send(request, fake, wire(fake, project_answer(), model="\ud800" * 5000, tokens=10**400))


@dataclass(frozen=True)
class Fault:
    name: str
    statuses: frozenset[int]
    handler: Handler | None = None
    answer: str | None = None


def _fault(name: str, statuses: set[int], handler: Handler | None = None, answer: str | None = None) -> Fault:
    return Fault(name, frozenset(statuses), handler, answer)


_DEEP = '{"files": ' + "[" * 100_000 + "]" * 100_000 + "}"
_SURROGATES = (
    '{"files": [{"path": "\\ud800.py", "content": "x"}, {"path": "ok.py", "content": "1"}], "summary": "\\udc00"}'
)
_MANY_FILES = json.dumps({"files": [{"path": f"f{i}.py", "content": ""} for i in range(60_000)], "summary": "s"})
_HUGE_SUMMARY = json.dumps({"files": [{"path": "a.py", "content": "1"}], "summary": "s" * (3 * MiB)})

FAULTS = [
    _fault("huge-declared-length", {502}, huge_declared),
    _fault("huge-chunked-body", {502}, huge_chunked),
    _fault("deep-json-body", {502, 503}, deep_json_body),
    _fault("long-valid-line", {200}, long_valid_line),
    _fault("reset-mid-body", {503}, reset_mid_body),
    _fault("hang-before-headers", {504}, hang_before_headers),
    _fault("hang-mid-body", {504}, hang_mid_body),
    _fault("trickle", {504}, trickle),
    _fault("html-page", {502}, html_page),
    _fault("truncated-stream", {502, 503}, truncated_stream),
    _fault("invalid-utf8", {502}, invalid_utf8),
    _fault("gzip-bomb", {502}, gzip_bomb),
    _fault("redirect", {502}, redirect),
    _fault("empty-200", {502, 503}, empty_ok),
    _fault("not-http", {503}, not_http),
    _fault("error-mid-stream", {502, 503}, error_mid_stream),
    _fault("hostile-metadata", {200}, hostile_metadata),
    _fault("deep-json-answer", {502}, answer=_DEEP),
    _fault("lone-surrogates", {200}, answer=_SURROGATES),
    _fault("60k-files", {200}, answer=_MANY_FILES),
    _fault("3-mib-summary", {200}, answer=_HUGE_SUMMARY),
]
