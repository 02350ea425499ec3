"""`prompt2prod:generator` — the FastAPI generator service: image, scale, limits and LLM settings."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, HttpUrl, ValidationInfo, field_validator, model_validator

from infra.config.base import (
    ImageRepository,
    ImageTag,
    PositiveInt,
    Resources,
    Section,
    matching,
)
from infra.config.environments import enough_replicas

ImageDigest = Annotated[
    str, matching(r"^sha256:[0-9a-f]{64}$", "an image digest (sha256: followed by 64 lower-case hex digits)")
]
"""A content digest as registries print it: `sha256:` and 64 lower-case hex digits."""


class CloudLlmSettings(Section):
    base_url: HttpUrl = Field(default=HttpUrl("https://openrouter.ai/api/v1"), strict=False)
    """`CLOUD_LLM_BASE_URL`: the OpenAI-compatible API for `x-llm-mode: cloud` (https only)."""
    model: str = Field(default="openai/gpt-4o-mini", min_length=1)
    """`CLOUD_LLM_MODEL`: the default cloud model."""
    requests_per_hour: PositiveInt = 100
    """Cloud generations one API client (`gateway.apiClients`) may start per hour, all generator pods together;
    past it the service answers 429 (each pod enforces its share, see docs/service.md)."""

    @field_validator("base_url")
    @classmethod
    def _https_only(cls, value: HttpUrl) -> HttpUrl:
        if value.scheme != "https":
            raise ValueError("the cloud LLM API must be reached over https")
        return value


class GeneratorConfig(Section):
    image_repository: ImageRepository | None = None
    """Defaults to `<registry login server>/prompt2prod-generator`."""
    image_tag: ImageTag = "0.1.0"
    """Version to run; `latest` is refused."""
    image_digest: ImageDigest | None = None
    """`sha256:<64 hex>`: when set, pods run `<repository>@<digest>` (immutable) instead of the tag (CI sets it)."""
    replicas: PositiveInt = 1
    """Minimum number of pods (the autoscaler's floor); a PodDisruptionBudget keeps one up from 2 on."""
    max_replicas: PositiveInt = 3
    """The autoscaler's ceiling (at least `replicas`)."""
    target_cpu_utilization: int = Field(default=70, ge=10, le=100)
    """Average CPU use, in percent of the CPU request, above which the autoscaler adds pods."""
    resources: Resources = Resources(cpu_request="100m", memory_request="192Mi", cpu_limit="1", memory_limit="512Mi")
    model: str = Field(default="llama3.2:3b", min_length=1)
    """`GENERATOR_MODEL`: the default local model; must be one of `ollama.models`."""
    max_concurrent_generations: PositiveInt = 8
    """`MAX_CONCURRENT_GENERATIONS`: generations a pod runs at once; beyond it, HTTP 429."""
    request_timeout_seconds: float = Field(default=240.0, gt=0, le=3600)
    """`REQUEST_TIMEOUT_SECONDS`: one deadline per generation request, every attempt and the whole stream included.
    The gateway's route timeouts and the pod's shutdown grace period are derived from it (`infra.contract`)."""
    llm_timeout_seconds: float = Field(default=120.0, gt=0, le=600)
    """`LLM_TIMEOUT_SECONDS`: the limit of one backend call; at most `requestTimeoutSeconds`."""
    max_prompt_chars: PositiveInt = 8000
    """`MAX_PROMPT_CHARS`: longest prompt; beyond it, HTTP 413."""
    cloud: CloudLlmSettings = CloudLlmSettings()

    @field_validator("replicas")
    @classmethod
    def _highly_available_in_prod(cls, value: int, info: ValidationInfo) -> int:
        return enough_replicas(value, info, "replicas", "a node drain never takes the service down")

    @field_validator("llm_timeout_seconds")
    @classmethod
    def _call_fits_the_request(cls, value: float, info: ValidationInfo) -> float:
        # Declared after `request_timeout_seconds`, so that field is validated first (absent if it was invalid).
        budget = info.data.get("request_timeout_seconds")
        if budget is not None and value > budget:
            raise ValueError(
                f"{value:g} is above generator.requestTimeoutSeconds {budget:g}: "
                "one backend call cannot outlast the request"
            )
        return value

    @model_validator(mode="after")
    def _max_replicas_above_replicas(self) -> GeneratorConfig:
        if self.max_replicas < self.replicas:
            raise ValueError(f"maxReplicas {self.max_replicas} is below replicas {self.replicas}")
        return self
