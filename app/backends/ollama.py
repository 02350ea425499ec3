"""The local backend: Ollama's native API (`/api/chat` with a JSON-schema `format`, `/api/tags`)."""

from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from app.backends.base import (
    PROJECT_SCHEMA,
    Completion,
    Delta,
    Mode,
    ModelInfo,
    StreamEvent,
    aiter_lines,
    decode_json_object,
    messages_for,
    new_session,
    raise_for_backend_status,
    translating_errors,
)
from app.errors import BackendStatusError, BackendUnavailable

_NAME = "the local LLM backend (Ollama)"
_PROBE_TIMEOUT = aiohttp.ClientTimeout(total=5)


def _same_model(wanted: str, available: str) -> bool:
    # Ollama reports `llama3:latest` for a model pulled as `llama3`.
    def norm(name: str) -> str:
        return name if ":" in name else f"{name}:latest"

    return norm(wanted) == norm(available)


class OllamaBackend:
    """Talks to one Ollama server through one pooled aiohttp session."""

    mode: Mode = "local"

    def __init__(self, *, base_url: str, default_model: str, timeout_seconds: float, connections: int) -> None:
        self.base_url = base_url
        self.default_model = default_model
        self._session = new_session(connections=connections, timeout_seconds=timeout_seconds)

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
                f"{self.base_url}/api/chat", json=self._body(prompt, model, stream=False)
            ) as response:
                await raise_for_backend_status(_NAME, response)
                payload = await response.read()
        return _completion(payload, model)

    async def stream(self, prompt: str, model: str) -> AsyncIterator[StreamEvent]:
        parts: list[str] = []
        with translating_errors(_NAME):
            async with self._session.post(
                f"{self.base_url}/api/chat", json=self._body(prompt, model, stream=True)
            ) as response:
                await raise_for_backend_status(_NAME, response)
                async for line in aiter_lines(response):
                    chunk = decode_json_object(_NAME, line)
                    if "error" in chunk:
                        raise BackendStatusError(f"{_NAME} failed while streaming")
                    text = _message_text(chunk)
                    if text:
                        parts.append(text)
                        yield Delta(text)
                    if chunk.get("done"):
                        yield Completion(
                            text="".join(parts),
                            model=str(chunk.get("model") or model),
                            input_tokens=_count(chunk.get("prompt_eval_count")),
                            output_tokens=_count(chunk.get("eval_count")),
                        )
                        return
        raise BackendUnavailable(f"{_NAME} ended its stream early")

    async def list_models(self) -> list[ModelInfo]:
        with translating_errors(_NAME):
            async with self._session.get(f"{self.base_url}/api/tags", timeout=_PROBE_TIMEOUT) as response:
                await raise_for_backend_status(_NAME, response)
                payload = await response.read()
        body = decode_json_object(_NAME, payload)
        models = body.get("models")
        if not isinstance(models, list):
            raise BackendStatusError(f"{_NAME} answered /api/tags with an unexpected body")
        return [
            ModelInfo(
                name=str(entry.get("name") or entry.get("model")),
                size=entry["size"] if isinstance(entry.get("size"), int) else None,
                modified_at=entry["modified_at"] if isinstance(entry.get("modified_at"), str) else None,
            )
            for entry in models
            if isinstance(entry, dict) and (entry.get("name") or entry.get("model"))
        ]

    async def readiness(self) -> str | None:
        """None when Ollama answers and has the configured model, else the reason it is not ready."""
        try:
            models = await self.list_models()
        except (BackendUnavailable, BackendStatusError) as exc:
            return exc.message
        except TimeoutError:
            return f"{_NAME} did not answer in time"
        except Exception as exc:  # readiness must answer 503, whatever the backend did
            return f"{_NAME} check failed: {type(exc).__name__}"
        if not any(_same_model(self.default_model, info.name) for info in models):
            return f"model {self.default_model!r} is not present on the local backend"
        return None

    async def close(self) -> None:
        await self._session.close()


def _message_text(chunk: dict[str, Any]) -> str:
    message = chunk.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    return content if isinstance(content, str) else ""


def _count(value: object) -> int:
    return value if isinstance(value, int) and value >= 0 else 0


def _completion(payload: bytes, model: str) -> Completion:
    body = decode_json_object(_NAME, payload)
    if "error" in body:
        raise BackendStatusError(f"{_NAME} reported an error")
    return Completion(
        text=_message_text(body),
        model=str(body.get("model") or model),
        input_tokens=_count(body.get("prompt_eval_count")),
        output_tokens=_count(body.get("eval_count")),
    )
