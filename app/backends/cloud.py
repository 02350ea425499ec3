"""The cloud backend: an OpenAI-compatible `/chat/completions` API (OpenRouter by default).

Structured output through `response_format` (json_schema), streaming through server-sent events.
The API key only ever lives in the Authorization header of each call; it is never logged or echoed.
"""

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import aiohttp

from app.backends.base import (
    PROJECT_SCHEMA,
    Completion,
    Delta,
    Mode,
    StreamEvent,
    messages_for,
    new_session,
    raise_for_backend_status,
    reported_model,
    token_count,
    translating_errors,
)
from app.backends.keys import ApiKey
from app.backends.reader import decode_json_object, read_body, read_lines
from app.errors import BackendStatusError, BackendUnavailable

_NAME = "the cloud LLM backend"


class CloudBackend:
    """Talks to one OpenAI-compatible provider through one pooled aiohttp session."""

    mode: Mode = "cloud"
    name = _NAME

    def __init__(self, *, base_url: str, default_model: str, api_key: ApiKey, connections: int) -> None:
        self.base_url = base_url
        self.default_model = default_model
        self.api_key = api_key
        self._session = new_session(connections=connections)

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

    @contextlib.asynccontextmanager
    async def _chat(self, prompt: str, model: str, *, stream: bool) -> AsyncIterator[aiohttp.ClientResponse]:
        """POST /chat/completions; the response, once its status says it carries an answer."""
        # The key is read per call (a rotated key file takes effect at once) and only ever sent in this header.
        accept = "text/event-stream" if stream else "application/json"
        headers = {"Authorization": f"Bearer {self.api_key.get()}", "Accept": accept}
        async with self._session.post(
            f"{self.base_url}/chat/completions",
            json=self._body(prompt, model, stream=stream),
            headers=headers,
            allow_redirects=False,
        ) as response:
            await raise_for_backend_status(_NAME, response)
            yield response

    async def complete(self, prompt: str, model: str) -> Completion:
        with translating_errors(_NAME):
            async with self._chat(prompt, model, stream=False) as response:
                payload = await read_body(_NAME, response)
        body = await decode_json_object(_NAME, payload)
        choices = body.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise BackendStatusError(f"{_NAME} answered without choices")
        message = choices[0].get("message")
        content = message.get("content") if isinstance(message, dict) else None
        input_tokens, output_tokens = _usage(body)
        return Completion(
            text=content if isinstance(content, str) else "",
            model=reported_model(body.get("model"), model),
            input_tokens=input_tokens,
            output_tokens=output_tokens,
        )

    async def stream(self, prompt: str, model: str) -> AsyncGenerator[StreamEvent, None]:
        parts: list[str] = []
        reported = model
        input_tokens = output_tokens = 0
        with translating_errors(_NAME):
            async with self._chat(prompt, model, stream=True) as response:
                if response.content_type != "text/event-stream":
                    raise BackendStatusError(f"{_NAME} answered a stream request with {response.content_type[:60]}")
                async for line in read_lines(_NAME, response):
                    if not line.startswith(b"data:"):
                        continue  # SSE comments (`: OPENROUTER PROCESSING`), event names, ids
                    data = line[5:].strip()
                    if data == b"[DONE]":
                        yield Completion("".join(parts), reported, input_tokens, output_tokens)
                        return
                    chunk = await decode_json_object(_NAME, data)
                    if "error" in chunk:
                        raise BackendStatusError(f"{_NAME} failed while streaming")
                    reported = reported_model(chunk.get("model"), reported)
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
    return token_count(usage.get("prompt_tokens")), token_count(usage.get("completion_tokens"))
