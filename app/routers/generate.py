"""`POST /generate`: prompt in, project out (JSON, zip or NDJSON progress events)."""

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
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


def _line(event: dict[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":")).encode() + b"\n"


@router.post(
    "/generate",
    response_model=GenerateResponse,
    responses={200: {"content": _CONTENT}, **error_responses(400, 413, 422, 429, 502, 503, 504)},
)
async def generate(
    body: GenerateRequest,
    request: Request,
    service: GenerationDep,
    # Documented as an enum but typed as str: an unknown mode is a 400 (DESIGN 4.3), not a 422.
    x_llm_mode: Annotated[
        str | None,
        Header(description="local (default) or cloud", json_schema_extra={"enum": ["local", "cloud"]}),
    ] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """Generate a project from a prompt, with Dockerfile, CI workflow, README and tests added where missing.

    `Accept: application/zip` returns a zip archive; `Accept: application/x-ndjson` streams progress
    events (`started`, `progress`, `retry`, then `result` or `error`). Failures before the first event
    are HTTP errors; later ones arrive as an `error` event with the status they would have had.
    """
    mode = parse_mode(x_llm_mode)
    settings = service.settings
    if len(body.prompt) > settings.max_prompt_chars:
        raise PayloadTooLarge(f"prompt longer than MAX_PROMPT_CHARS ({settings.max_prompt_chars})")
    model = body.model or service.backend(mode).default_model
    log_fields(request.scope).update(mode=mode, model=model)
    wanted = accept or ""
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
        return Response(
            archive, media_type=ZIP, headers={"Content-Disposition": 'attachment; filename="project.zip"'}
        )
    return Response(result.model_dump_json(), media_type="application/json")
