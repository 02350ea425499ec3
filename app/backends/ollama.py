"""The local backend: Ollama's native API (`/api/chat` with a JSON-schema `format`, `/api/tags`)."""

from collections.abc import AsyncGenerator
from typing import Any

import aiohttp

from app.backends.base import (
    PROJECT_SCHEMA,
    Completion,
    Delta,
    Mode,
    ModelInfo,
    StreamEvent,
    messages_for,
    new_session,
    raise_for_backend_status,
    reported_model,
    token_count,
    translating_errors,
)
from app.backends.reader import decode_json_object, read_body, read_lines
from app.errors import BackendStatusError, BackendUnavailable, ServiceError

_NAME = "the local LLM backend (Ollama)"
_PROBE_SECONDS = 5
_PROBE_TIMEOUT = aiohttp.ClientTimeout(total=_PROBE_SECONDS)
#: A listing longer than this is cut: it feeds `/models` and the bounded set of model metric labels.
MAX_LISTED_MODELS = 200


def same_model(wanted: str, available: str) -> bool:
    """Ollama reports `llama3:latest` for a model pulled as `llama3`."""

    def norm(name: str) -> str:
        return name if ":" in name else f"{name}:latest"

    return norm(wanted) == norm(available)


class OllamaBackend:
    """Talks to one Ollama server through one pooled aiohttp session."""

    mode: Mode = "local"
    name = _NAME

    def __init__(self, *, base_url: str, default_model: str, connections: int) -> None:
        self.base_url = base_url
        self.default_model = default_model
        self._session = new_session(connections=connections)

    def _body(self, prompt: str, model: str, *, stream: bool) -> dict[str, Any]:
        return {
            "model": model,
            "messages": messages_for(prompt),
            "format": PROJECT_SCHEMA,
            "stream": stream,
            "options": {"temperature": 0.2},
        }

    async def complete(self, prompt: str, model: str) -> Completion:
        with translating_errors(_NAME):
            async with self._session.post(
                f"{self.base_url}/api/chat", json=self._body(prompt, model, stream=False), allow_redirects=False
            ) as response:
                await raise_for_backend_status(_NAME, response)
                payload = await read_body(_NAME, response)
        body = await decode_json_object(_NAME, payload)
        if "error" in body:
            raise BackendStatusError(f"{_NAME} reported an error")
        return Completion(
            text=_message_text(body),
            model=reported_model(body.get("model"), model),
            input_tokens=token_count(body.get("prompt_eval_count")),
            output_tokens=token_count(body.get("eval_count")),
        )

    async def stream(self, prompt: str, model: str) -> AsyncGenerator[StreamEvent, None]:
        parts: list[str] = []
        with translating_errors(_NAME):
            async with self._session.post(
                f"{self.base_url}/api/chat", json=self._body(prompt, model, stream=True), allow_redirects=False
            ) as response:
                await raise_for_backend_status(_NAME, response)
                async for line in read_lines(_NAME, response):
                    chunk = await decode_json_object(_NAME, line)
                    if "error" in chunk:
                        raise BackendStatusError(f"{_NAME} failed while streaming")
                    text = _message_text(chunk)
                    if text:
                        parts.append(text)
                        yield Delta(text)
                    if chunk.get("done"):
                        yield Completion(
                            text="".join(parts),
                            model=reported_model(chunk.get("model"), model),
                            input_tokens=token_count(chunk.get("prompt_eval_count")),
                            output_tokens=token_count(chunk.get("eval_count")),
                        )
                        return
        raise BackendUnavailable(f"{_NAME} ended its stream early")

    async def list_models(self) -> list[ModelInfo]:
        with translating_errors(_NAME, timeout=f"{_PROBE_SECONDS} s"):
            async with self._session.get(
                f"{self.base_url}/api/tags", timeout=_PROBE_TIMEOUT, allow_redirects=False
            ) as response:
                await raise_for_backend_status(_NAME, response)
                payload = await read_body(_NAME, response)
        body = await decode_json_object(_NAME, payload)
        models = body.get("models")
        if not isinstance(models, list):
            raise BackendStatusError(f"{_NAME} answered /api/tags with an unexpected body")
        found = [
            ModelInfo(
                name=name,
                size=token_count(entry.get("size")) or None,
                modified_at=_timestamp(entry.get("modified_at")),
            )
            for entry in models[: 5 * MAX_LISTED_MODELS]  # a listing of 400 000 entries is looked at no further
            if isinstance(entry, dict) and (name := reported_model(entry.get("name") or entry.get("model"), "")) != ""
        ]
        return found[:MAX_LISTED_MODELS]

    async def readiness(self) -> tuple[str | None, list[ModelInfo]]:
        """(None, models) when Ollama answers and has the configured model, else (the reason, models)."""
        try:
            models = await self.list_models()
        except ServiceError as exc:
            return exc.message, []
        if not any(same_model(self.default_model, info.name) for info in models):
            return f"model {self.default_model!r} is not present on the local backend", models
        return None, models

    async def close(self) -> None:
        await self._session.close()


def _message_text(chunk: dict[str, Any]) -> str:
    message = chunk.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    return content if isinstance(content, str) else ""


def _timestamp(value: object) -> str | None:
    """An RFC 3339 timestamp as Ollama reports it; anything longer or stranger is left out of the response."""
    return value if isinstance(value, str) and len(value) <= 40 and value.isascii() and value.isprintable() else None
