"""The cloud backend: an OpenAI-compatible `/chat/completions` API (OpenRouter by default).

Structured output through `response_format` (json_schema), streaming through server-sent events.
The API key only ever lives in the session's Authorization header; it is never logged or echoed.
"""

from collections.abc import AsyncIterator
from typing import Any

from app.backends.base import (
    PROJECT_SCHEMA,
    Completion,
    Delta,
    Mode,
    StreamEvent,
    aiter_lines,
    decode_json_object,
    messages_for,
    new_session,
    raise_for_backend_status,
    translating_errors,
)
from app.errors import BackendNotConfigured, BackendStatusError, BackendUnavailable

_NAME = "the cloud LLM backend"


class CloudBackend:
    """Talks to one OpenAI-compatible provider through one pooled aiohttp session."""

    mode: Mode = "cloud"

    def __init__(
        self,
        *,
        base_url: str,
        default_model: str,
        api_key: str | None,
        timeout_seconds: float,
        connections: int,
    ) -> None:
        self.base_url = base_url
        self.default_model = default_model
        self.configured = api_key is not None
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else None
        self._session = new_session(connections=connections, timeout_seconds=timeout_seconds, headers=headers)

    def _body(self, prompt: str, model: str, *, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": model,
            "messages": messages_for(prompt),
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "project", "strict": True, "schema": PROJECT_SCHEMA},
            },
            "temperature": 0.2,
            "stream": stream,
        }
        if stream:
            body["stream_options"] = {"include_usage": True}
        return body

    def _require_key(self) -> None:
        if not self.configured:
            raise BackendNotConfigured("cloud mode is not configured: set CLOUD_LLM_API_KEY or CLOUD_LLM_API_KEY_FILE")

    async def complete(self, prompt: str, model: str) -> Completion:
        self._require_key()
        with translating_errors(_NAME):
            async with self._session.post(
                f"{self.base_url}/chat/completions", json=self._body(prompt, model, stream=False)
            ) as response:
                await raise_for_backend_status(_NAME, response)
                payload = await response.read()
        body = decode_json_object(_NAME, payload)
        choices = body.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise BackendStatusError(f"{_NAME} answered without choices")
        message = choices[0].get("message")
        content = message.get("content") if isinstance(message, dict) else None
        input_tokens, output_tokens = _usage(body)
        return Completion(
            text=content if isinstance(content, str) else "",
            model=str(body.get("model") or model),
            input_tokens=input_tokens,
            output_tokens=output_tokens,
        )

    async def stream(self, prompt: str, model: str) -> AsyncIterator[StreamEvent]:
        self._require_key()
        parts: list[str] = []
        reported_model = model
        input_tokens = output_tokens = 0
        with translating_errors(_NAME):
            async with self._session.post(
                f"{self.base_url}/chat/completions",
                json=self._body(prompt, model, stream=True),
                headers={"Accept": "text/event-stream"},
            ) as response:
                await raise_for_backend_status(_NAME, response)
                async for line in aiter_lines(response):
                    if not line.startswith(b"data:"):
                        continue  # SSE comments (`: OPENROUTER PROCESSING`), event names, ids
                    data = line[5:].strip()
                    if data == b"[DONE]":
                        yield Completion("".join(parts), reported_model, input_tokens, output_tokens)
                        return
                    chunk = decode_json_object(_NAME, data)
                    if "error" in chunk:
                        raise BackendStatusError(f"{_NAME} failed while streaming")
                    reported_model = str(chunk.get("model") or reported_model)
                    if isinstance(chunk.get("usage"), dict):
                        input_tokens, output_tokens = _usage(chunk)
                    text = _delta_text(chunk)
                    if text:
                        parts.append(text)
                        yield Delta(text)
        raise BackendUnavailable(f"{_NAME} ended its stream early")

    async def close(self) -> None:
        await self._session.close()


def _delta_text(chunk: dict[str, Any]) -> str:
    choices = chunk.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return ""
    delta = choices[0].get("delta")
    content = delta.get("content") if isinstance(delta, dict) else None
    return content if isinstance(content, str) else ""


def _usage(body: dict[str, Any]) -> tuple[int, int]:
    usage = body.get("usage")
    if not isinstance(usage, dict):
        return 0, 0

    def count(key: str) -> int:
        value = usage.get(key)
        return value if isinstance(value, int) and value >= 0 else 0

    return count("prompt_tokens"), count("completion_tokens")
