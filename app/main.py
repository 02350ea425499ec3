"""The ASGI app: `uvicorn app.main:app` (the container adds the JSON log config and the read-timeout
protocol: see the CMD in app/Dockerfile)."""

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from app.errors import install_error_handlers
from app.generation import GenerationService
from app.logs import configure_logging
from app.metrics import Metrics
from app.middleware import ObservabilityMiddleware
from app.publish.service import Publisher
from app.routers import generate, health, metrics, models, publish
from app.server import READ_TIMEOUT_STATE_KEY
from app.settings import InvalidSettings, Settings, get_settings

logger = logging.getLogger("app.main")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    # Settings are read here, not at import: tests override get_settings through dependency_overrides.
    try:
        settings: Settings = app.dependency_overrides.get(get_settings, get_settings)()
        # Checks the tools the settings name (app/checks): a missing one is a settings problem too.
        service = GenerationService(settings, app.state.metrics)
    except InvalidSettings as exc:
        configure_logging("INFO")
        logger.error("invalid settings, not starting", extra={"problems": str(exc).splitlines()})
        app.state.startup_error_logged = True
        raise
    configure_logging(settings.log_level)
    app.state.generation = service
    app.state.publisher = publisher = Publisher(settings, app.state.metrics)
    app.state.body_limit = settings.max_request_bytes
    app.state.body_limits = {"/publish": publish.PUBLISH_BODY_BYTES}
    # Everything alive now (modules, routes, pydantic schemas) lives as long as the process: move it out of
    # the collector's reach, and collect the young generation less often (a request allocates thousands of
    # short-lived objects). Measured with bench/app.py: about 12% less CPU per request at 64 concurrent.
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    try:
        # Uvicorn hands this state to each connection's protocol (app/server.py).
        yield {READ_TIMEOUT_STATE_KEY: settings.client_read_timeout_seconds}
    finally:
        # Uvicorn runs this after in-flight requests have finished (graceful shutdown on SIGTERM).
        await service.close()
        await publisher.close()


def create_app() -> FastAPI:
    app = FastAPI(
        title="Prompt2Prod generator",
        version="0.1.0",
        lifespan=lifespan,
        # The service exports Prometheus metrics itself (app/metrics.py); FastAPI's OpenTelemetry hooks
        # would only cost CPU on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.metrics = Metrics()
    install_error_handlers(app)
    app.add_middleware(ObservabilityMiddleware, metrics=app.state.metrics)
    for router in (health.router, models.router, generate.router, publish.router, metrics.router):
        app.include_router(router)
    return app


app = create_app()
