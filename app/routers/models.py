"""The models the local backend has."""

from fastapi import APIRouter

from app.deps import GenerationDep
from app.errors import error_responses
from app.schemas import ModelOut, ModelsResponse

router = APIRouter(tags=["models"])


@router.get("/models", response_model=ModelsResponse, responses=error_responses(502, 503, 504))
async def models(service: GenerationDep) -> ModelsResponse:
    """The local backend's models (Ollama `/api/tags`)."""
    found = await service.list_models()
    return ModelsResponse(
        models=[ModelOut(name=info.name, size=info.size, modified_at=info.modified_at) for info in found],
        default=service.local.default_model,
    )
