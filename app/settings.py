"""Service settings, read from environment variables (names as docs/service.md lists them).

The defaults are the platform's (`infra/config`; tests/app/test_settings.py compares them), so that the
service run locally behaves as it does when deployed.
"""

from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of the service; each field is read from the upper-cased environment variable."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    ollama_base_url: str = Field("http://ollama:11434", pattern=r"^https?://")
    generator_model: str = Field("llama3.2:3b", min_length=1)
    cloud_llm_base_url: str = Field("https://openrouter.ai/api/v1", pattern=r"^https?://")
    cloud_llm_model: str = Field("openai/gpt-4o-mini", min_length=1)
    cloud_llm_api_key: SecretStr | None = None
    cloud_llm_api_key_file: Path | None = None
    max_concurrent_generations: int = Field(8, ge=1, le=10_000)
    # One deadline for a whole generation request (retries and the stream included); the platform derives
    # the gateway's route timeout and the pod's grace period from it.
    request_timeout_seconds: float = Field(240.0, gt=0, le=3600)
    llm_timeout_seconds: float = Field(120.0, gt=0, le=3600)
    # How long a client may take to send its request line, headers and body.
    client_read_timeout_seconds: float = Field(10.0, gt=0, le=300)
    max_prompt_chars: int = Field(8000, ge=1, le=1_000_000)
    # This pod's share of the per-client cloud budget (app/budget.py); the platform divides the budget by the most
    # pods that can run.
    cloud_budget_requests_per_hour: float = Field(100.0, gt=0, le=1_000_000)
    # The raw body cap guards the JSON parser itself; MAX_PROMPT_CHARS is checked after parsing.
    max_request_bytes: int = Field(65_536, ge=1024, le=16 * 1024 * 1024)
    log_level: str = Field("INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$")
    # Checks on every generated project (app/checks): the tools run as subprocesses, each within a time and an
    # address-space bound; a missing tool stops the service at startup while checks are enabled.
    checks_enabled: bool = True
    checks_timeout_seconds: float = Field(30.0, gt=0, le=600)
    # RLIMIT_AS of each tool process: the Go runtime (actionlint) reserves about 600 MB of address space at start.
    checks_memory_mb: int = Field(1024, ge=768, le=65_536)
    checks_max_processes: int = Field(2, ge=1, le=64)
    # Where hadolint, actionlint and zizmor are; unset: the folder of the Python running the service (its venv).
    checks_bin_dir: Path | None = None
    # checkov pins old versions of shared libraries, so it has a virtual environment of its own (app/Dockerfile);
    # unset: `checkov` in CHECKS_BIN_DIR, else on PATH. Either way resolved once, at startup.
    checkov_path: Path | None = None

    @field_validator("ollama_base_url", "cloud_llm_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        # Checked once here: a mistyped URL would otherwise show only as "unreachable" on every request.
        parts = urlsplit(value)
        try:
            port = parts.port
        except ValueError:  # not a number, or over 65535
            port = 0
        if not parts.hostname or port == 0 or parts.query or parts.fragment or any(c.isspace() for c in value):
            raise ValueError("must be an http(s) URL with a host, a port from 1 to 65535 if any, no query or spaces")
        return value.rstrip("/")


class InvalidSettings(ValueError):
    """Settings that fail validation: one problem per line, each naming its environment variable."""


def _problem(error: dict[str, object]) -> str:
    location = error.get("loc")
    name = ".".join(str(part) for part in location).upper() if isinstance(location, tuple) else "?"
    # The offending value is not repeated: it could be a key.
    return f"{name}: {error.get('msg', 'invalid')}"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests override this dependency or clear the cache."""
    try:
        return Settings()
    except ValidationError as exc:
        raise InvalidSettings("\n".join(_problem(dict(error)) for error in exc.errors())) from None
