"""`prompt2prod:generator` — the FastAPI generator service: image, scale, limits and LLM settings."""

from __future__ import annotations

from pydantic import Field, HttpUrl, ValidationInfo, field_validator, model_validator

from infra.config.base import ImageDigest, ImageRepository, ImageTag, PositiveInt, Resources, Section, environment_of


class CloudLlmSettings(Section):
    base_url: HttpUrl = Field(default=HttpUrl("https://openrouter.ai/api/v1"), strict=False)
    model: str = Field(default="openai/gpt-4o-mini", min_length=1)

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
    image_digest: ImageDigest | None = None
    """Set by the main workflow (`pulumi config set --path generator.imageDigest sha256:…`): when set, the image is
    deployed by digest and `imageTag` is only informational."""
    replicas: PositiveInt = 1
    max_replicas: PositiveInt = 3
    resources: Resources = Resources(cpu_request="100m", memory_request="192Mi", cpu_limit="1", memory_limit="512Mi")
    model: str = Field(default="llama3.2:3b", min_length=1)
    """Default local model; must be one of `ollama.models`."""
    max_concurrent_generations: PositiveInt = 8
    llm_timeout_seconds: float = Field(default=120.0, gt=0, le=600, strict=False)
    max_prompt_chars: PositiveInt = 8000
    cloud: CloudLlmSettings = CloudLlmSettings()

    def image_reference(self, default_repository: str) -> str:
        """`repository@digest` when a digest is configured, else `repository:tag`."""
        repository = self.image_repository or default_repository
        return f"{repository}@{self.image_digest}" if self.image_digest else f"{repository}:{self.image_tag}"

    @field_validator("replicas")
    @classmethod
    def _highly_available_in_prod(cls, value: int, info: ValidationInfo) -> int:
        if environment_of(info) == "prod" and value < 2:
            raise ValueError("prod runs at least 2 replicas so that a node drain never takes the service down")
        return value

    @model_validator(mode="after")
    def _max_replicas_above_replicas(self) -> GeneratorConfig:
        if self.max_replicas < self.replicas:
            raise ValueError(f"maxReplicas {self.max_replicas} is below replicas {self.replicas}")
        return self
