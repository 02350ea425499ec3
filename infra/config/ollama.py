"""`prompt2prod:ollama` — the local LLM server, its models and its model volume."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from infra.config.base import ImageTag, NonNegativeInt, PositiveInt, Quantity, Resources, Section

_MODEL = re.compile(r"^[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)?:[A-Za-z0-9][A-Za-z0-9._-]*$")


def _model_name(value: str) -> str:
    if not _MODEL.match(value):
        raise ValueError(f"{value!r} is not an Ollama model reference 'name:tag' (e.g. llama3.2:3b)")
    return value


ModelName = Annotated[str, AfterValidator(_model_name)]


class OllamaStorage(Section):
    size: Quantity = "30Gi"
    storage_class: str | None = None
    """Defaults per cluster: `local-path` on K3s, `managed-csi-premium` on AKS."""


class OllamaGpu(Section):
    enabled: bool = False
    count: PositiveInt = 1


class OllamaConfig(Section):
    image_tag: ImageTag = "0.12.6"
    models: list[ModelName] = Field(default=["llama3.2:3b"], min_length=1)
    model_sizes: dict[ModelName, Quantity] = {}
    """Download sizes of models that the built-in table does not know, e.g. {"mymodel:7b": "4.5Gi"}."""
    prune_models: bool = False
    storage: OllamaStorage = OllamaStorage()
    gpu: OllamaGpu = OllamaGpu()
    resources: Resources = Resources(cpu_request="1", memory_request="4Gi", cpu_limit="4", memory_limit="8Gi")
    keep_alive: str = Field(default="30m", pattern=r"^(-1|\d+[smh])$")
    num_parallel: PositiveInt = 2
    max_loaded_models: PositiveInt = 1
    preload_backoff_limit: NonNegativeInt = 3

    @model_validator(mode="after")
    def _unique_models(self) -> OllamaConfig:
        duplicates = sorted({m for m in self.models if self.models.count(m) > 1})
        if duplicates:
            raise ValueError(f"models lists {', '.join(duplicates)} more than once")
        return self
