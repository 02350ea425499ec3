"""`POST /generate`: prompt in, project out (JSON, zip or NDJSON progress events)."""

import json
import logging
from collections.abc import AsyncGenerator, Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from app.accept import JSON, NDJSON, ZIP, preferred
from app.backends.base import Mode
from app.budget import CLIENT_HEADER
from app.deps import GenerationDep
from app.errors import PayloadTooLarge, ServiceError, error_responses
from app.generation import GenerationService, Slot, parse_mode
from app.lifetime import ClientGone, Deadline, RequestTimeout, watched
from app.middleware import CLIENT_GONE, final_status, log_fields, set_final_status
from app.offload import offload
from app.project import MAX_TOTAL_BYTES, zip_project
from app.schemas import GenerateRequest, GenerateResponse

logger = logging.getLogger("app.generate")


class _BodyRoute(APIRoute):
    """FastAPI answers 400 when `json.loads` fails other than on syntax (invalid UTF-8, nesting too deep), and
    when the client leaves while sending its body; the contract says 422 for a body that is not JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except HTTPException as exc:
                if isinstance(exc.__cause__, ClientDisconnect):
                    raise ClientGone from exc
                if exc.status_code == 400 and isinstance(exc.__cause__, (UnicodeDecodeError, RecursionError)):
                    problem = "not UTF-8" if isinstance(exc.__cause__, UnicodeDecodeError) else "nested too deep"
                    raise RequestValidationError(
                        [{"type": "json_invalid", "loc": ("body",), "msg": f"JSON decode error: {problem}"}]
                    ) from exc
                raise

        return route


router = APIRouter(tags=["generate"], route_class=_BodyRoute)

_CONTENT: dict[str, Any] = {
    JSON: {"schema": {"$ref": "#/components/schemas/GenerateResponse"}},
    ZIP: {"schema": {"type": "string", "format": "binary"}},
    NDJSON: {"schema": {"type": "string"}},
}


# Headers are read from the request rather than declared as `Header()` parameters: FastAPI's per-request
# parameter analysis cost a measurable share of the CPU budget (bench/app.py). x-llm-mode is documented
# here as an enum, though an unknown mode is answered with 400 (docs/service.md) rather than 422.
_HEADERS: list[dict[str, Any]] = [
    {
        "name": "x-llm-mode",
        "in": "header",
        "required": False,
        "description": "Which backend generates: local (Ollama, the default) or cloud. Exact values only.",
        "schema": {"type": "string", "enum": ["local", "cloud"]},
    },
    {
        "name": "x-prompt2prod-client",
        "in": "header",
        "required": False,
        "description": "Set by the gateway to the name of the caller's API key (any value sent is replaced). "
        "Cloud mode needs it, and spends that client's cloud budget.",
        "schema": {"type": "string", "pattern": "^[a-z][a-z0-9-]{0,31}$"},
    },
]


def _line(event: dict[str, Any] | GenerateResponse) -> bytes:
    if isinstance(event, GenerateResponse):
        # The result event is the response with `"event": "result"` first; pydantic serializes megabytes
        # of files several times faster than json.dumps, on the event loop.
        return b'{"event":"result",' + event.model_dump_json().encode()[1:] + b"\n"
    return json.dumps(event, separators=(",", ":")).encode() + b"\n"


class _ProgressResponse(StreamingResponse):
    """NDJSON events until the result or an error event, cut short when the client leaves (cancelling the
    backend call even while it sends nothing) or, as a last resort, at the request's deadline."""

    def __init__(self, lines: AsyncGenerator[bytes, None], deadline: Deadline, request: Request) -> None:
        super().__init__(lines, media_type=NDJSON)
        self._lines = lines
        self._deadline = deadline
        self._request = request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await watched(receive, self.stream_response(send), self._deadline)
        except ClientGone:
            set_final_status(self._request.scope, CLIENT_GONE)
        except RequestTimeout as exc:
            # The events stop at the deadline with an error event of their own: this is a client too slow to
            # read them. Nothing more can reach it in time; the server closes the connection.
            if final_status(self._request.scope) is None:
                set_final_status(self._request.scope, exc.status_code)
        finally:
            # Cancelled while handing a line on, the generator would otherwise keep its slot until collected.
            await self._lines.aclose()


def _error_line(exc: ServiceError) -> bytes:
    return _line({"event": "error", "status": exc.status_code, "detail": exc.message})


async def _progress(
    request: Request,
    events: AsyncGenerator[dict[str, Any] | GenerateResponse, None],
    slot: Slot,
    head: list[dict[str, Any] | GenerateResponse],
) -> AsyncGenerator[bytes, None]:
    try:
        for event in head:
            yield _line(event)
        async for event in events:
            yield _line(event)
    except ServiceError as exc:
        set_final_status(request.scope, exc.status_code)
        yield _error_line(exc)
    except Exception:
        # A bug, not a client's or backend's fault: the stream still ends with an error event.
        logger.exception("unexpected error while streaming")
        set_final_status(request.scope, 500)
        yield _line({"event": "error", "status": 500, "detail": "internal error"})
    finally:
        slot.release()
        await events.aclose()


async def _stream(
    request: Request, service: GenerationService, mode: Mode, prompt: str, model: str, client: str | None
) -> Response:
    deadline = service.deadline()
    slot = service.admit(client)
    events = service.stream(mode, prompt, model, deadline)
    try:
        # Failures before the first event are still HTTP errors.
        first = await watched(request.receive, anext(events), deadline)
    except BaseException:
        slot.release()
        await events.aclose()
        raise
    head: list[dict[str, Any] | GenerateResponse] = [{"event": "started", "mode": mode, "model": model}, first]
    return _ProgressResponse(_progress(request, events, slot, head), deadline, request)


@router.post(
    "/generate",
    response_model=GenerateResponse,
    responses={200: {"content": _CONTENT}, **error_responses(400, 403, 413, 422, 429, 502, 503, 504)},
    openapi_extra={"parameters": _HEADERS},
)
async def generate(body: GenerateRequest, request: Request, service: GenerationDep) -> Response:
    """Generate a project from a prompt, with Dockerfile, CI workflow, README and tests added where missing.

    `Accept: application/zip` returns a zip archive; `Accept: application/x-ndjson` streams progress
    events (`started`, `progress`, `retry`, then `result` or `error`). Failures before the first event
    are HTTP errors; later ones arrive as an `error` event with the status they would have had.
    """
    mode = parse_mode(request.headers.getlist("x-llm-mode"))
    # Cloud mode spends money: only for a client the gateway authenticated (app/budget.py).
    client = service.budget.client(request.headers.getlist(CLIENT_HEADER)) if mode == "cloud" else None
    settings = service.settings
    if len(body.prompt) > settings.max_prompt_chars:
        raise PayloadTooLarge(f"prompt longer than MAX_PROMPT_CHARS ({settings.max_prompt_chars})")
    model = body.model or service.backend(mode).default_model
    log_fields(request.scope).update(mode=mode, model=model, **({"client": client} if client else {}))
    wanted = preferred(request.headers.get("accept"))
    if wanted == NDJSON:
        return await _stream(request, service, mode, body.prompt, model, client)
    deadline = service.deadline()
    slot = service.admit(client)
    try:
        outcome = await watched(request.receive, service.run(mode, body.prompt, model, deadline), deadline)
    finally:
        slot.release()
    result = service.respond(mode, outcome)
    log_fields(request.scope).update(files=len(result.files), attempts=result.attempts)
    if wanted == ZIP:
        pairs = [(item.path, item.content) for item in result.files]
        # Deflating megabytes takes long enough to hold up every other request.
        size = sum(len(content) for _, content in pairs)
        archive = zip_project(pairs) if size < MAX_TOTAL_BYTES // 16 else await offload(lambda: zip_project(pairs))
        return Response(archive, media_type=ZIP, headers={"Content-Disposition": 'attachment; filename="project.zip"'})
    return Response(result.model_dump_json(), media_type=JSON)
