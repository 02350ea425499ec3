"""`prompt2prod:generator` — the FastAPI generator service: image, scale, limits and LLM settings."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, HttpUrl, ValidationInfo, field_validator, model_validator

from infra.config.base import (
    Hostname,
    ImageRepository,
    ImageTag,
    PositiveInt,
    Resources,
    Section,
    matching,
)
from infra.config.environments import enough_replicas, reachable_hostname
from infra.config.gateway import ClientName, distinct_client_names

ImageDigest = Annotated[
    str, matching(r"^sha256:[0-9a-f]{64}$", "an image digest (sha256: followed by 64 lower-case hex digits)")
]
"""A content digest as registries print it: `sha256:` and 64 lower-case hex digits."""

GITHUB_LOGIN_RULE = (
    "a GitHub user or organization name (letters, digits and single hyphens, at most 39, no hyphen first or last)"
)
GitHubOwner = Annotated[str, matching(r"^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}$", GITHUB_LOGIN_RULE)]
"""A GitHub login as GitHub accepts it at sign-up (users and organizations share the rules)."""


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


class PublishingSettings(Section):
    """Publishing generated projects to GitHub. Off while `owners` is empty; on, it needs the `githubToken` secret."""

    owners: list[GitHubOwner] = Field(default=[], max_length=100)
    """`PUBLISH_OWNERS`: the GitHub users or organizations publishing may create repositories in or push to. Empty
    keeps publishing off: no token is mounted and the generator gets no route to GitHub."""
    clients: list[ClientName] = Field(default=[], max_length=32)
    """`PUBLISH_CLIENTS`: the API clients (names of `gateway.apiClients`) whose key may publish."""

    @field_validator("owners")
    @classmethod
    def _distinct_owners(cls, value: list[str]) -> list[str]:
        # GitHub logins are case-insensitive: `Acme` and `acme` are the same owner.
        folded = [owner.lower() for owner in value]
        repeated = sorted({owner for owner in value if folded.count(owner.lower()) > 1})
        if repeated:
            raise ValueError(f"owners must be distinct (GitHub ignores case): {', '.join(repeated)}")
        return value

    @field_validator("clients")
    @classmethod
    def _distinct_clients(cls, value: list[str]) -> list[str]:
        return distinct_client_names(value)

    @model_validator(mode="after")
    def _owners_and_clients_together(self) -> PublishingSettings:
        # One without the other publishes nothing: a half-written setting, not a way to switch publishing off.
        if self.owners and not self.clients:
            raise ValueError("owners are set but clients is empty: name the API clients that may publish")
        if self.clients and not self.owners:
            raise ValueError("clients are set but owners is empty: name the GitHub owners they may publish to")
        return self

    @property
    def enabled(self) -> bool:
        return bool(self.owners)


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
    # The checks on each generated project run checkov (about 190 MB) and hadolint, actionlint and zizmor beside the
    # service (about 75 MB), two tool processes at a time (`CHECKS_MAX_PROCESSES`).
    resources: Resources = Resources(cpu_request="100m", memory_request="384Mi", cpu_limit="1", memory_limit="1Gi")
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
    apps_domain: Hostname | None = None
    """`APPS_DOMAIN`: a generated project `N` is served at `N.<appsDomain>` (the gateway's `apps` listener takes
    `*.<appsDomain>`). Unset: `apps.` and the domain of `gateway.generatorHostname`. prod refuses `*.localhost`."""
    publishing: PublishingSettings = PublishingSettings()

    @field_validator("apps_domain")
    @classmethod
    def _apps_domain_reachable(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else reachable_hostname(value, info)

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
