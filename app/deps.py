"""`Annotated` dependency aliases shared by the routers.

Routes read settings from the service (`GenerationDep`), which the lifespan built from `get_settings()` or
its test override, so that every part of one app sees the same settings.
"""

from typing import Annotated

from fastapi import Depends, Request

from app.generation import GenerationService
from app.metrics import Metrics
from app.publish.service import Publisher


# Async on purpose: FastAPI runs a plain `def` dependency in its thread pool, a thread hop per request.
async def get_generation(request: Request) -> GenerationService:
    service: GenerationService = request.app.state.generation
    return service


async def get_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


async def get_publisher(request: Request) -> Publisher:
    publisher: Publisher = request.app.state.publisher
    return publisher


GenerationDep = Annotated[GenerationService, Depends(get_generation)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
PublisherDep = Annotated[Publisher, Depends(get_publisher)]
