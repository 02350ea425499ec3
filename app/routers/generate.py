"""`POST /generate`: prompt in, project out (JSON, zip or NDJSON progress events)."""

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from app.deps import GenerationDep
from app.errors import PayloadTooLarge, ServiceError, error_responses
from app.generation import parse_mode
from app.middleware import log_fields
from app.project import zip_project
from app.schemas import GenerateRequest, GenerateResponse

router = APIRouter(tags=["generate"])

ZIP = "application/zip"
NDJSON = "application/x-ndjson"

_CONTENT: dict[str, Any] = {
    "application/json": {"schema": {"$ref": "#/components/schemas/GenerateResponse"}},
    ZIP: {"schema": {"type": "string", "format": "binary"}},
    NDJSON: {"schema": {"type": "string"}},
}


# Headers are read from the request rather than declared as `Header()` parameters: FastAPI's per-request
# parameter analysis cost a measurable share of the CPU budget (bench/app.py). x-llm-mode is documented
# here as an enum, though an unknown mode is answered with 400 (DESIGN 4.3) rather than 422.
_HEADERS: list[dict[str, Any]] = [
    {
        "name": "x-llm-mode",
        "in": "header",
        "required": False,
        "description": "Which backend generates: local (Ollama, the default) or cloud.",
        "schema": {"type": "string", "enum": ["local", "cloud"]},
    },
]


def _line(event: dict[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":")).encode() + b"\n"


@router.post(
    "/generate",
    response_model=GenerateResponse,
    responses={200: {"content": _CONTENT}, **error_responses(400, 413, 422, 429, 502, 503, 504)},
    openapi_extra={"parameters": _HEADERS},
)
async def generate(
    body: GenerateRequest,
    request: Request,
    service: GenerationDep,
) -> Response:
    """Generate a project from a prompt, with Dockerfile, CI workflow, README and tests added where missing.

    `Accept: application/zip` returns a zip archive; `Accept: application/x-ndjson` streams progress
    events (`started`, `progress`, `retry`, then `result` or `error`). Failures before the first event
    are HTTP errors; later ones arrive as an `error` event with the status they would have had.
    """
    mode = parse_mode(request.headers.get("x-llm-mode"))
    settings = service.settings
    if len(body.prompt) > settings.max_prompt_chars:
        raise PayloadTooLarge(f"prompt longer than MAX_PROMPT_CHARS ({settings.max_prompt_chars})")
    model = body.model or service.backend(mode).default_model
    log_fields(request.scope).update(mode=mode, model=model)
    wanted = request.headers.get("accept", "")
    slot = service.admit()
    if NDJSON in wanted:
        events = service.stream(mode, body.prompt, model)
        try:
            first = await anext(events)
        except BaseException:
            slot.release()
            await events.aclose()
            raise

        async def progress() -> AsyncIterator[bytes]:
            try:
                yield _line({"event": "started", "mode": mode, "model": model})
                yield _line(first)
                async for event in events:
                    yield _line(event)
            except ServiceError as exc:
                yield _line({"event": "error", "status": exc.status_code, "detail": exc.message})
            finally:
                slot.release()
                await events.aclose()

        return StreamingResponse(progress(), media_type=NDJSON)
    try:
        outcome = await service.run(mode, body.prompt, model)
    finally:
        slot.release()
    result = service.respond(mode, outcome)
    log_fields(request.scope).update(files=len(result.files), attempts=result.attempts)
    if ZIP in wanted:
        archive = zip_project((item.path, item.content) for item in result.files)
        return Response(archive, media_type=ZIP, headers={"Content-Disposition": 'attachment; filename="project.zip"'})
    return Response(result.model_dump_json(), media_type="application/json")
