"""The `LLMBackend` protocol, what a backend call returns, and the mapping of transport failures to errors."""

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import aiohttp

from app.errors import BackendStatusError, BackendTimeout, BackendUnavailable

Mode = Literal["local", "cloud"]

#: The structured output asked of every model: `{"files": [{"path", "content"}], "summary"}`.
PROJECT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "files": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
                "required": ["path", "content"],
                "additionalProperties": False,
            },
        },
        "summary": {"type": "string"},
    },
    "required": ["files", "summary"],
    "additionalProperties": False,
}

SYSTEM_PROMPT = (
    "You write complete, working software projects. Answer with one JSON object only: "
    '{"files": [{"path": "relative/posix/path", "content": "file content"}], "summary": "one paragraph"}. '
    "Paths are relative, use forward slashes and never contain '..'. "
    "Include the source files, the dependency manifest and tests. Do not wrap the JSON in Markdown."
)


@dataclass(frozen=True, slots=True)
class Completion:
    """A finished model answer with the token counts the backend reported (0 when it reported none)."""

    text: str
    model: str
    input_tokens: int
    output_tokens: int


@dataclass(frozen=True, slots=True)
class Delta:
    """A piece of streamed model output."""

    text: str


StreamEvent = Delta | Completion


@dataclass(frozen=True, slots=True)
class ModelInfo:
    name: str
    size: int | None = None
    modified_at: str | None = None


class LLMBackend(Protocol):
    """One LLM provider; each implementation owns one pooled aiohttp session, made in the lifespan."""

    mode: Mode
    default_model: str

    async def complete(self, prompt: str, model: str) -> Completion:
        """Ask for the project in one response."""
        ...

    def stream(self, prompt: str, model: str) -> AsyncIterator[StreamEvent]:
        """Ask for the project as a stream of deltas ending with one Completion."""
        ...

    async def close(self) -> None: ...


def messages_for(prompt: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": prompt}]


def new_session(
    *, connections: int, timeout_seconds: float, headers: dict[str, str] | None = None
) -> aiohttp.ClientSession:
    """One pooled session per backend, its pool as large as the generation limit so calls never queue."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections, limit_per_host=0, keepalive_timeout=30),
        timeout=aiohttp.ClientTimeout(total=timeout_seconds),
        headers=headers,
        raise_for_status=False,
    )


@contextmanager
def translating_errors(name: str) -> Iterator[None]:
    """Turn transport failures of one backend call into the service's 503/504 errors."""
    try:
        yield
    except TimeoutError as exc:
        raise BackendTimeout(f"{name} did not answer within LLM_TIMEOUT_SECONDS") from exc
    except aiohttp.ClientPayloadError as exc:
        raise BackendUnavailable(f"{name} broke off its answer") from exc
    except (aiohttp.ClientError, OSError) as exc:
        raise BackendUnavailable(f"{name} is unreachable") from exc


def decode_json_object(name: str, raw: bytes) -> dict[str, Any]:
    """A backend's JSON body (or one streamed line of it) as an object; anything else is its fault (502)."""
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise BackendStatusError(f"{name} answered with a body that is not JSON") from exc
    if not isinstance(value, dict):
        raise BackendStatusError(f"{name} answered with an unexpected body")
    return value


async def raise_for_backend_status(name: str, response: aiohttp.ClientResponse) -> None:
    """Map a backend error status to a service error, without echoing its body (it may hold secrets)."""
    if response.status < 400:
        return
    if response.status in (429, 502, 503):
        raise BackendUnavailable(f"{name} is overloaded or unavailable (HTTP {response.status})")
    if response.status == 504:
        raise BackendTimeout(f"{name} timed out upstream (HTTP 504)")
    if response.status == 404:
        raise BackendStatusError(f"{name} does not know the requested model (HTTP 404)")
    raise BackendStatusError(f"{name} answered with HTTP {response.status}")


async def aiter_lines(response: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    """Lines of a streamed body, without their line endings, skipping blank ones."""
    async for raw in response.content:
        line = raw.strip()
        if line:
            yield line
