"""`Annotated` dependency aliases shared by the routers."""

from typing import Annotated

from fastapi import Depends, Request

from app.generation import GenerationService
from app.metrics import Metrics


def get_generation(request: Request) -> GenerationService:
    service: GenerationService = request.app.state.generation
    return service


def get_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


GenerationDep = Annotated[GenerationService, Depends(get_generation)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
