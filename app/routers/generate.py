"""`POST /generate`: prompt in, project out (JSON, zip or NDJSON progress events)."""

import asyncio
import contextlib
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
from starlette.types import Message, Receive, Scope, Send

from app.accept import JSON, NDJSON, ZIP, preferred
from app.backends.base import Mode
from app.budget import CLIENT_HEADER
from app.deps import GenerationDep
from app.errors import PayloadTooLarge, ServiceError, error_responses
from app.generation import GenerationService, Slot, parse_mode
from app.lifetime import ClientGone, Deadline, RequestTimeout, watched
from app.middleware import CLIENT_GONE, final_status, log_fields, set_final_status
from app.offload import offload
from app.paths import fold
from app.project import MAX_TOTAL_BYTES, zip_project
from app.publish.service import GenerationPublishing, generation_publishing
from app.schemas import GenerateRequest, GenerateResponse

logger = logging.getLogger("app.generate")

#: The checks' counts in a zip response; the list itself is the archive's CHECKS_FILE.
CHECKS_HEADER = "X-Prompt2Prod-Checks"
#: The checks of a zip response, at the archive's root unless a project file already has that name.
CHECKS_FILE = "CHECKS.json"

# How long the final error event of a stream cut at its deadline may still take to go out.
LAST_WORD_SECONDS = 1.0


class BodyRoute(APIRoute):
    """FastAPI answers 400 when `json.loads` fails other than on syntax (invalid UTF-8, nesting too deep, a
    number of more than 4300 digits), and when the client leaves while sending its body; the contract says 422
    for a body that is not JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except HTTPException as exc:
                if isinstance(exc.__cause__, ClientDisconnect):
                    raise ClientGone from exc
                if exc.status_code == 400 and isinstance(exc.__cause__, (ValueError, RecursionError)):
                    problem = _json_problem(exc.__cause__)
                    raise RequestValidationError(
                        [{"type": "json_invalid", "loc": ("body",), "msg": f"JSON decode error: {problem}"}]
                    ) from exc
                raise

        return route


def _json_problem(cause: BaseException) -> str:
    if isinstance(cause, UnicodeDecodeError):
        return "not UTF-8"
    if isinstance(cause, RecursionError):
        return "nested too deep"
    return "a number too long"  # int() refuses more than sys.get_int_max_str_digits() digits


router = APIRouter(tags=["generate"], route_class=BodyRoute)

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

    def __init__(
        self,
        request: Request,
        events: AsyncGenerator[dict[str, Any] | GenerateResponse, None],
        head: list[dict[str, Any] | GenerateResponse],
        slot: Slot,
        deadline: Deadline,
    ) -> None:
        self._lines = _progress(request, events, head)
        super().__init__(self._lines, media_type=NDJSON)
        self._events = events
        self._slot = slot
        self._deadline = deadline
        self._request = request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            await send(message)
            started = started or message["type"] == "http.response.start"

        try:
            await watched(receive, self.stream_response(tracked), self._deadline)
        except ClientGone:
            set_final_status(self._request.scope, CLIENT_GONE)
        except RequestTimeout as exc:
            # The events stop just before the deadline with an error event of their own; reaching the deadline
            # itself means that event could not go out in time (a client too slow to read, or a starved CPU).
            # The stream was cut between two lines: one last try, briefly, so that it still ends with its error.
            if final_status(self._request.scope) is None:
                set_final_status(self._request.scope, exc.status_code)
                if started:
                    with contextlib.suppress(Exception):
                        last = {"type": "http.response.body", "body": _error_line(exc), "more_body": False}
                        await asyncio.wait_for(send(last), LAST_WORD_SECONDS)
        finally:
            # Here, not in the generator of lines: that one never starts when the headers cannot go out (a
            # client that reads nothing), and closing an unstarted generator runs none of its code.
            await self._lines.aclose()
            self._slot.release()
            await self._events.aclose()


def _error_line(exc: ServiceError) -> bytes:
    return _line({"event": "error", "status": exc.status_code, "detail": exc.message})


async def _progress(
    request: Request,
    events: AsyncGenerator[dict[str, Any] | GenerateResponse, None],
    head: list[dict[str, Any] | GenerateResponse],
) -> AsyncGenerator[bytes, None]:
    try:
        for event in head:
            yield _line(event)
        async for event in events:
            if isinstance(event, GenerateResponse):
                log_fields(request.scope).update(files=len(event.files), attempts=event.attempts)
                set_final_status(request.scope, 200)
            yield _line(event)
    except ServiceError as exc:
        set_final_status(request.scope, exc.status_code)
        yield _error_line(exc)
    except Exception:
        # A bug, not a client's or backend's fault: the stream still ends with an error event.
        logger.exception("unexpected error while streaming")
        set_final_status(request.scope, 500)
        yield _line({"event": "error", "status": 500, "detail": "internal error"})


async def _stream(
    request: Request,
    service: GenerationService,
    mode: Mode,
    prompt: str,
    model: str,
    client: str | None,
    publishing: GenerationPublishing,
) -> Response:
    deadline = service.deadline()
    slot = service.admit(client)
    events = publishing.events(service.stream(mode, prompt, model, deadline), deadline)
    try:
        # Failures before the first event are still HTTP errors.
        first = await watched(request.receive, anext(events), deadline)
    except BaseException:
        slot.release()
        await events.aclose()
        raise
    head: list[dict[str, Any] | GenerateResponse] = [{"event": "started", "mode": mode, "model": model}, first]
    return _ProgressResponse(request, events, head, slot, deadline)


@router.post(
    "/generate",
    response_model=GenerateResponse,
    responses={200: {"content": _CONTENT}, **error_responses(400, 403, 404, 409, 413, 422, 429, 502, 503, 504)},
    openapi_extra={"parameters": _HEADERS},
)
async def generate(body: GenerateRequest, request: Request, service: GenerationDep) -> Response:
    """Generate a project from a prompt, with Dockerfile, CI workflow, README and tests added where missing.

    `Accept: application/zip` returns a zip archive; `Accept: application/x-ndjson` streams progress
    events (`started`, `progress`, `retry`, `published`, then `result` or `error`). Failures before the first
    event are HTTP errors; later ones arrive as an `error` event with the status they would have had.
    With `publish`, the project is then published to GitHub (see `POST /publish`; not with a zip).
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
    publishing = generation_publishing(request, body.publish, wanted)
    if wanted == NDJSON:
        return await _stream(request, service, mode, body.prompt, model, client, publishing)
    deadline = service.deadline()
    slot = service.admit(client)
    try:
        work = _project(service, mode, body.prompt, model, deadline, publishing, zipped=wanted == ZIP)
        result, archive = await watched(request.receive, work, deadline)
    finally:
        slot.release()
    log_fields(request.scope).update(files=len(result.files), attempts=result.attempts)
    if archive is not None:
        headers = {"Content-Disposition": 'attachment; filename="project.zip"'}
        if result.checks:
            passed = sum(check.ok for check in result.checks)
            headers[CHECKS_HEADER] = f"passed={passed}, failed={len(result.checks) - passed}"
        return Response(archive, media_type=ZIP, headers=headers)
    return Response(result.model_dump_json(), media_type=JSON)


def _checks_file(result: GenerateResponse) -> str:
    checks = [check.model_dump() for check in result.checks]
    return json.dumps({"checks": checks}, indent=2, ensure_ascii=False) + "\n"


async def _project(
    service: GenerationService,
    mode: Mode,
    prompt: str,
    model: str,
    deadline: Deadline,
    publishing: GenerationPublishing,
    *,
    zipped: bool,
) -> tuple[GenerateResponse, bytes | None]:
    """The project (published when asked), and its zip archive when asked for: all within the request's deadline."""
    result = service.respond(mode, await service.run(mode, prompt, model, deadline))
    # Checked first: what is published is what the checks saw, and the answer reports both.
    result.checks = await service.check(result, deadline)
    result = await publishing.result(result, deadline)
    if not zipped:
        return result, None
    pairs = [(item.path, item.content) for item in result.files]
    if result.checks and not any(fold(path).split("/")[0] == fold(CHECKS_FILE) for path, _ in pairs):
        pairs.append((CHECKS_FILE, _checks_file(result)))
    if sum(len(content) for _, content in pairs) < MAX_TOTAL_BYTES // 16:
        return result, zip_project(pairs)
    # Deflating megabytes takes long enough to hold up every other request.
    async with deadline.own_work():
        return result, await offload(lambda: zip_project(pairs))
