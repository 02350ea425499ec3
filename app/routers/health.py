"""Liveness and readiness probes."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.deps import GenerationDep
from app.errors import error_responses
from app.schemas import HealthResponse, ReadyResponse

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthResponse)
async def health() -> HealthResponse:
    """Liveness: the process serves HTTP. Never calls a backend."""
    return HealthResponse(status="ok")


@router.get("/ready", response_model=ReadyResponse, responses=error_responses(503))
async def ready(service: GenerationDep) -> ReadyResponse | JSONResponse:
    """Readiness: the local backend answers and the configured model is present; else 503 with the reason."""
    reason = await service.readiness()
    if reason is not None:
        return JSONResponse({"detail": f"not ready: {reason}"}, status_code=503)
    return ReadyResponse(status="ready", model=service.local.default_model)
