"""Service errors: every failure leaves the service as JSON `{"detail": message}` with a meaningful status."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException


class ErrorResponse(BaseModel):
    """The body of every error response."""

    detail: str


class ServiceError(Exception):
    """An error with an HTTP status, a client-facing message and, for LLM failures, a metric reason."""

    status_code = 500
    reason = "internal"

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers


class UnknownMode(ServiceError):
    status_code = 400
    reason = "unknown_mode"


class PayloadTooLarge(ServiceError):
    status_code = 413
    reason = "too_large"


class Saturated(ServiceError):
    status_code = 429
    reason = "saturated"


class BackendUnavailable(ServiceError):
    status_code = 503
    reason = "unreachable"


class BackendNotConfigured(ServiceError):
    status_code = 503
    reason = "not_configured"


class BackendTimeout(ServiceError):
    status_code = 504
    reason = "timeout"


class BackendStatusError(ServiceError):
    """The backend answered with an error status (unknown model, rejected key, internal error)."""

    status_code = 502
    reason = "backend_status"


class UnusableOutput(ServiceError):
    status_code = 502
    reason = "invalid_output"


#: OpenAPI `responses=` entries shared by routes.
def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorResponse} for code in codes}


def _json_error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=status, headers=headers)


async def _service_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)  # noqa: S101 - registered for ServiceError only
    return _json_error(exc.status_code, exc.message, exc.headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for this type only
    problems = []
    for error in exc.errors()[:5]:
        where = ".".join(str(part) for part in error.get("loc", ()))
        problems.append(f"{where}: {error.get('msg', 'invalid')}")
    return _json_error(422, "invalid request: " + "; ".join(problems))


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for this type only
    return _json_error(exc.status_code, str(exc.detail), dict(exc.headers) if exc.headers else None)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
