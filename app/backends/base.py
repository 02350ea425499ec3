"""The `LLMBackend` protocol, what a backend call returns, and the mapping of transport failures to errors."""

import re
from collections.abc import AsyncGenerator, Iterator
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
    "Include the source files, the dependency manifest (requirements.txt or pyproject.toml for Python, package.json "
    "with a start script for Node, naming the project) and tests. "
    "The project is deployed as a container serving HTTP: running its entry point (python main.py, or npm start) "
    "starts a server on host 0.0.0.0 at the port in the PORT environment variable (8080 when unset), which answers "
    "GET /health with status 200; it writes files only under /tmp. "
    "Do not write a Dockerfile, CI workflows or Kubernetes manifests (deploy/): the service adds them. "
    "Do not wrap the JSON in Markdown."
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
    """One LLM provider; each implementation owns one pooled aiohttp session, made in the lifespan.

    Calls are bounded from outside (app.lifetime.Deadline), and cancelling one closes its connection.
    """

    mode: Mode
    name: str
    default_model: str

    async def complete(self, prompt: str, model: str) -> Completion:
        """Ask for the project in one response."""
        ...

    def stream(self, prompt: str, model: str) -> AsyncGenerator[StreamEvent, None]:
        """Ask for the project as a stream of deltas ending with one Completion."""
        ...

    async def close(self) -> None: ...


def messages_for(prompt: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": prompt}]


def new_session(*, connections: int) -> aiohttp.ClientSession:
    """One pooled session per backend, its pool as large as the generation limit so calls never queue.

    No session-wide timeout: `app.lifetime.Deadline` bounds every generation call. Bodies are asked for and
    read uncompressed (app.backends.reader explains why).
    """
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections, limit_per_host=0, keepalive_timeout=30),
        timeout=aiohttp.ClientTimeout(total=None),
        headers={"Accept-Encoding": "identity"},
        auto_decompress=False,
        raise_for_status=False,
    )


@contextmanager
def translating_errors(name: str, *, timeout: str = "LLM_TIMEOUT_SECONDS") -> Iterator[None]:
    """Turn transport failures of one backend call into the service's 503/504 errors."""
    try:
        yield
    except TimeoutError as exc:
        raise BackendTimeout(f"{name} did not answer within {timeout}") from exc
    except aiohttp.ClientPayloadError as exc:
        raise BackendUnavailable(f"{name} broke off its answer") from exc
    except (aiohttp.ClientError, OSError) as exc:
        raise BackendUnavailable(f"{name} is unreachable") from exc


async def raise_for_backend_status(name: str, response: aiohttp.ClientResponse) -> None:
    """Map a backend error status to a service error, without echoing its body (it may hold secrets)."""
    if 200 <= response.status < 300:
        return
    if response.status in (429, 502, 503):
        raise BackendUnavailable(f"{name} is overloaded or unavailable (HTTP {response.status})")
    if response.status == 504:
        raise BackendTimeout(f"{name} timed out upstream (HTTP 504)")
    if response.status == 404:
        raise BackendStatusError(f"{name} does not know the requested model (HTTP 404)")
    # Redirects are not followed (a backend must not send the service, or its key, elsewhere): a 3xx lands here.
    raise BackendStatusError(f"{name} answered with HTTP {response.status}")


_MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}")


def reported_model(value: object, requested: str) -> str:
    """The model name a backend reports, when it is a sane name; else the one that was asked for."""
    return value if isinstance(value, str) and _MODEL_NAME.fullmatch(value) else requested


def token_count(value: object) -> int:
    """A count the backend reports (tokens, bytes); anything but a plausible non-negative integer counts as 0."""
    # bool is an int; a count of 10**400 would overflow the float of a Prometheus counter.
    return value if type(value) is int and 0 <= value < 2**53 else 0
