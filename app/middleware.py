"""Request id, body size cap, HTTP metrics and the access log, as one pure ASGI middleware.

Pure ASGI rather than BaseHTTPMiddleware, which costs noticeable CPU on every request.

Metrics are labelled with the route template (`scope["route"].path`), never the raw path, so that a scan of
random URLs cannot blow up the label cardinality.
"""

import logging
import re
import time
import uuid
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.logs import request_id_var
from app.metrics import Metrics

logger = logging.getLogger("app.access")

DEFAULT_BODY_LIMIT = 65_536
LOG_FIELDS_KEY = "generator.log_fields"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def log_fields(scope: Scope) -> dict[str, Any]:
    """The dict a route fills with extra fields (mode, model) for the request's access log line."""
    fields: dict[str, Any] = scope.setdefault(LOG_FIELDS_KEY, {})
    return fields


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
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        token = request_id_var.set(request_id)
        fields = log_fields(scope)
        state = getattr(scope.get("app"), "state", None)
        limit: int = getattr(state, "body_limit", DEFAULT_BODY_LIMIT)
        declared = _content_length(scope)
        status = 500
        received = 0

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
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, capped_receive, tagged_send)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.http_requests.labels(template, scope["method"], str(status)).inc()
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
