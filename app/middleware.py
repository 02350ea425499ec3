"""Request id, body size cap, HTTP metrics, the access log and the last word on unexpected errors, as one
pure ASGI middleware.

Pure ASGI rather than BaseHTTPMiddleware, which costs noticeable CPU on every request.

Metrics are labelled with the route template (`scope["route"].path`, or the path of a fixed route such as
`/openapi.json`), never the raw path, and with a known method, so that a scan of random URLs or methods cannot
blow up the label cardinality. A streamed response that ends in an error event is logged and counted with
the error's status (`set_final_status`), a client that left before its answer with 499.
"""

import logging
import re
import time
import uuid
from typing import Any

from starlette.exceptions import HTTPException
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.lifetime import ClientGone
from app.logs import request_id_var
from app.metrics import Metrics, method_label

logger = logging.getLogger("app.access")

DEFAULT_BODY_LIMIT = 65_536
LOG_FIELDS_KEY = "generator.log_fields"
FINAL_STATUS_KEY = "generator.final_status"
#: What a client that disconnected before its answer is logged and counted with (nginx's convention).
CLIENT_GONE = 499
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def log_fields(scope: Scope) -> dict[str, Any]:
    """The dict a route fills with extra fields (mode, model) for the request's access log line."""
    fields: dict[str, Any] = scope.setdefault(LOG_FIELDS_KEY, {})
    return fields


def set_final_status(scope: Scope, status: int) -> None:
    """Log and count the request with `status` rather than the one its response started with."""
    scope[FINAL_STATUS_KEY] = status


def final_status(scope: Scope) -> int | None:
    status: int | None = scope.get(FINAL_STATUS_KEY)
    return status


def _route_label(scope: Scope) -> str:
    route = scope.get("route")
    if route is not None:
        return str(route.path)
    # FastAPI's own pages (/openapi.json, /docs) are plain Starlette routes, which leave no `route` behind.
    app = scope.get("app")
    for candidate in getattr(app, "routes", ()):
        if type(candidate) is Route and scope.get("endpoint") is candidate.endpoint:
            return candidate.path
    return "unmatched"


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _REQUEST_ID.match(text) else None
    return None


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, _quiet_reported_startup_failure(scope, send))
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        token = request_id_var.set(request_id)
        fields = log_fields(scope)
        state = getattr(scope.get("app"), "state", None)
        # A route that takes whole projects (POST /publish) has a cap of its own.
        limits: dict[str, int] = getattr(state, "body_limits", {})
        limit = limits.get(scope["path"]) or int(getattr(state, "body_limit", DEFAULT_BODY_LIMIT))
        declared = _content_length(scope)
        status = 500
        received = 0
        response_started = False

        async def capped_receive() -> Message:
            nonlocal received
            if declared is not None and declared > limit:
                raise HTTPException(413, f"request body larger than {limit} bytes")
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, f"request body larger than {limit} bytes")
            return message

        async def tagged_send(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, capped_receive, tagged_send)
        except ClientGone:
            status = CLIENT_GONE
        except Exception:
            # A bug, not a client's or backend's fault: logged here, with the request id, and answered as
            # JSON without internals; it goes no further (the server would log it again, without the id).
            logger.exception("unexpected error", extra={"route": _route_label(scope)})
            status = 500
            if not response_started:
                await send_internal_error(send, request_id)
        finally:
            elapsed = time.perf_counter() - started
            status = final_status(scope) or status
            template = _route_label(scope)
            self.metrics.http_requests.labels(template, method_label(scope["method"]), str(status)).inc()
            self.metrics.http_duration.labels(template).observe(elapsed)
            if logger.isEnabledFor(logging.INFO):
                logger.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "route": template,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                        **fields,
                    },
                )
            request_id_var.reset(token)


async def send_internal_error(send: Send, request_id: str) -> None:
    body = b'{"detail":"internal error"}'
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-request-id", request_id.encode()),
    ]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _quiet_reported_startup_failure(scope: Scope, send: Send) -> Send:
    """Starlette reports a failed startup with its traceback, which the server logs; when the lifespan has
    already logged the reason (invalid settings, naming each variable), that one line is enough."""

    async def quiet_send(message: Message) -> None:
        state = getattr(scope.get("app"), "state", None)
        if message["type"] == "lifespan.startup.failed" and getattr(state, "startup_error_logged", False):
            message = {**message, "message": ""}
        await send(message)

    return quiet_send
