"""Reading a backend's answer within bounds.

A backend (or whatever answers in its place) is not trusted with the service's memory or its event loop: the
bytes of one answer are capped while they are read (a declared Content-Length over the cap is refused before
reading), streamed lines share that cap whatever their length and are handed on a few at a time, and a large
JSON document is parsed off the event loop (app/offload.py), so that `/health` keeps answering. Each failure
is the backend's fault: 502.
"""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any, Final

import aiohttp

from app.errors import BackendStatusError
from app.jsonlimits import too_wide
from app.offload import offload

#: Twice the project cap (4 MiB of files): room for the JSON escaping of the model's answer, twice over.
MAX_BODY_BYTES: Final = 8 * 1024 * 1024
#: Documents up to this size are parsed on the event loop; a thread hop costs more than parsing them.
INLINE_PARSE_BYTES: Final = 256 * 1024
#: Streamed lines handed on between two turns of the event loop (see `read_lines`).
LINES_PER_TURN: Final = 64


def _too_large(name: str) -> BackendStatusError:
    return BackendStatusError(f"{name} answered with more than {MAX_BODY_BYTES} bytes")


def _check_headers(name: str, response: aiohttp.ClientResponse) -> None:
    if response.content_length is not None and response.content_length > MAX_BODY_BYTES:
        raise _too_large(name)
    # Sessions ask for identity and do not decompress: a compressed body would be a bomb in waiting.
    if response.headers.get("Content-Encoding", "identity").strip().lower() not in ("identity", ""):
        raise BackendStatusError(f"{name} answered with a compressed body it was not asked for")


async def read_body(name: str, response: aiohttp.ClientResponse) -> bytearray:
    """The whole body, or 502 as soon as it passes MAX_BODY_BYTES (not copied to bytes: it can be large)."""
    _check_headers(name, response)
    body = bytearray()
    async for chunk in response.content.iter_any():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise _too_large(name)
    return body


async def read_lines(name: str, response: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    """The non-blank lines of a streamed body, stripped; all of them together within MAX_BODY_BYTES."""
    _check_headers(name, response)
    pending = bytearray()
    total = lines_read = 0
    async for chunk in response.content.iter_any():
        total += len(chunk)
        if total > MAX_BODY_BYTES:
            raise _too_large(name)
        pending += chunk
        if b"\n" not in chunk:
            continue
        *lines, rest = pending.split(b"\n")
        pending = bytearray(rest)
        for line in lines:
            if line := line.strip():
                yield bytes(line)
                lines_read += 1
                # One read can hold thousands of tiny lines (a token each), all buffered: handing them all on
                # without a pause would hold the event loop, and /health, for the whole burst.
                if lines_read % LINES_PER_TURN == 0:
                    await asyncio.sleep(0)
    if line := pending.strip():
        yield bytes(line)


class _TooWide(ValueError):
    """More JSON objects and arrays than a project needs (app/jsonlimits.py)."""


def _loads(raw: bytes | bytearray) -> Any:
    if too_wide(raw):
        raise _TooWide
    return json.loads(raw)


async def decode_json_object(name: str, raw: bytes | bytearray) -> dict[str, Any]:
    """A backend's JSON body (or one streamed line of it) as an object; anything else is its fault (502)."""
    try:
        value = _loads(raw) if len(raw) <= INLINE_PARSE_BYTES else await offload(lambda: _loads(raw))
    except _TooWide as exc:
        raise BackendStatusError(f"{name} answered with more JSON objects and arrays than a project needs") from exc
    except (ValueError, RecursionError) as exc:  # RecursionError: nested deeper than the parser goes
        raise BackendStatusError(f"{name} answered with a body that is not JSON") from exc
    if not isinstance(value, dict):
        raise BackendStatusError(f"{name} answered with an unexpected body")
    return value
