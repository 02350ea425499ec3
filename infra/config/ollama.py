"""`prompt2prod:ollama` — the local LLM server, its models and its model volume.

The model volume must hold every listed model: `storage.size` is checked against the models' download sizes
(`KNOWN_MODEL_SIZES_GB`, or `modelSizes` for models the table does not know) plus headroom, so that a
too-small volume is refused at `pulumi preview` instead of filling up halfway through a pull.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Final

from pydantic import Field, model_validator

from infra import versions
from infra.config.base import (
    ImageTag,
    NonNegativeInt,
    PositiveInt,
    Quantity,
    Resources,
    Section,
    matching,
    quantity_value,
)

ModelName = Annotated[
    str,
    matching(
        r"^[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)?:[A-Za-z0-9][A-Za-z0-9._-]*$",
        "an Ollama model reference 'name:tag' (e.g. llama3.2:3b)",
    ),
]

# Approximate download sizes in GB (10^9 bytes) of the default quantisation, as listed on ollama.com/library.
# Approximate on purpose: tags are re-published now and then, so the check adds headroom (below) on top.
KNOWN_MODEL_SIZES_GB: Final[Mapping[str, float]] = {
    "llama3.2:1b": 1.3,
    "llama3.2:3b": 2.0,
    "llama3.2:latest": 2.0,
    "llama3.1:8b": 4.9,
    "llama3.1:latest": 4.9,
    "llama3.1:70b": 43.0,
    "qwen2.5-coder:0.5b": 0.4,
    "qwen2.5-coder:1.5b": 1.0,
    "qwen2.5-coder:3b": 1.9,
    "qwen2.5-coder:7b": 4.7,
    "qwen2.5-coder:latest": 4.7,
    "qwen2.5-coder:14b": 9.0,
    "qwen2.5-coder:32b": 20.0,
    "qwen2.5:7b": 4.7,
    "mistral:7b": 4.4,
    "mistral:latest": 4.4,
    "phi3:mini": 2.2,
    "phi3:3.8b": 2.2,
    "phi3:medium": 7.9,
    "phi3:14b": 7.9,
    "phi4:14b": 9.1,
    "phi4:latest": 9.1,
    "phi4-mini:3.8b": 2.5,
    "gemma2:2b": 1.6,
    "gemma2:9b": 5.4,
    "gemma2:latest": 5.4,
    "gemma2:27b": 16.0,
    "deepseek-coder:1.3b": 0.8,
    "deepseek-coder:6.7b": 3.8,
    "deepseek-coder:33b": 19.0,
    "deepseek-coder-v2:16b": 8.9,
    "codellama:7b": 3.8,
    "nomic-embed-text:latest": 0.3,
}
HEADROOM_FACTOR: Final = 1.10
"""Models take up to 10% more than the table says (re-published tags, partial downloads during a pull)."""
HEADROOM_FIXED_BYTES: Final = 2**30
"""Plus 1Gi for Ollama's own files on the volume (its key, manifests) and the filesystem's reserve."""


class OllamaStorage(Section):
    size: Quantity = "30Gi"
    """Size of the model volume; checked against the listed models' download sizes."""
    storage_class: str | None = Field(default=None, pattern=r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
    """Defaults to the cluster's: `local-path` on K3s, `managed-csi-premium` on AKS."""


class OllamaGpu(Section):
    enabled: bool = False
    """Run Ollama on a GPU node (AKS `gpuPool`, or labelled nodes of an existing cluster)."""
    count: PositiveInt = 1
    """GPUs the Ollama pod asks for."""


class OllamaConfig(Section):
    image_tag: ImageTag = versions.OLLAMA_TAG
    """Ollama image tag (never `latest`)."""
    models: list[ModelName] = Field(default=["llama3.2:3b"], min_length=1)
    """Models to keep on the volume, `name:tag`; must include `generator.model`."""
    model_sizes: dict[ModelName, Quantity] = {}
    """Download sizes of models that the built-in table does not know, e.g. {"mymodel:7b": "4.5Gi"}."""
    prune_models: bool = False
    """Delete the models on the volume that are not in `models` (after every pull succeeded)."""
    storage: OllamaStorage = OllamaStorage()
    gpu: OllamaGpu = OllamaGpu()
    resources: Resources = Resources(cpu_request="1", memory_request="4Gi", cpu_limit="4", memory_limit="8Gi")
    keep_alive: str = Field(default="30m", pattern=r"^(-1|\d+[smh])$")
    """`OLLAMA_KEEP_ALIVE`: how long a model stays in memory after use (`-1`: forever)."""
    num_parallel: PositiveInt = 2
    """`OLLAMA_NUM_PARALLEL`: requests one model serves at once."""
    max_loaded_models: PositiveInt = 1
    """`OLLAMA_MAX_LOADED_MODELS`: models in memory at once."""
    preload_backoff_limit: NonNegativeInt = 3
    """Retries of a failed preload Job."""
    preload_timeout_minutes: int = Field(default=60, ge=5, le=1440)
    """How long `pulumi up` waits for the preload Job (pulling several GB can take a while)."""
    preload_image_tag: ImageTag = versions.PYTHON_TAG
    """Tag of the `python` image that runs the preload script (the Ollama image has no Python and no curl)."""

    @model_validator(mode="after")
    def _unique_models(self) -> OllamaConfig:
        duplicates = sorted({m for m in self.models if self.models.count(m) > 1})
        if duplicates:
            raise ValueError(f"models lists {', '.join(duplicates)} more than once")
        return self

    @model_validator(mode="after")
    def _volume_holds_the_models(self) -> OllamaConfig:
        unknown = [model for model in self.models if model_size_bytes(model, self.model_sizes) is None]
        if unknown:
            examples = ", ".join(f'"{model}": "5Gi"' for model in unknown)
            raise ValueError(
                f"models {', '.join(unknown)}: download size unknown; add it to ollama.modelSizes "
                f"(e.g. modelSizes: {{{examples}}}) so that storage.size can be checked"
            )
        needed = required_storage_bytes(self.models, self.model_sizes)
        if quantity_value(self.storage.size) < needed:
            raise ValueError(
                f"storage.size {self.storage.size} is too small for models {', '.join(self.models)}: "
                f"they need about {needed / 2**30:.1f}Gi (download sizes + 10% + 1Gi); "
                "raise ollama.storage.size or list fewer models"
            )
        return self


def model_size_bytes(model: str, user_sizes: Mapping[str, str]) -> float | None:
    """The download size of `model`: the user's `modelSizes` entry first, else the built-in table."""
    if model in user_sizes:
        return quantity_value(user_sizes[model])
    known = KNOWN_MODEL_SIZES_GB.get(model)
    return None if known is None else known * 1e9


def required_storage_bytes(models: list[str], user_sizes: Mapping[str, str]) -> float:
    """Bytes the model volume needs for `models`: their sizes plus 10% plus 1Gi. Unknown models count as 0."""
    total = sum(model_size_bytes(model, user_sizes) or 0.0 for model in models)
    return total * HEADROOM_FACTOR + HEADROOM_FIXED_BYTES
