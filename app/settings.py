"""Service settings, read from environment variables (names per DESIGN 4.3)."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of the service; each field is read from the upper-cased environment variable."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    ollama_base_url: str = Field("http://ollama:11434", pattern=r"^https?://")
    generator_model: str = Field("qwen2.5-coder:7b", min_length=1)
    cloud_llm_base_url: str = Field("https://openrouter.ai/api/v1", pattern=r"^https?://")
    cloud_llm_model: str = Field("openai/gpt-4o-mini", min_length=1)
    cloud_llm_api_key: SecretStr | None = None
    cloud_llm_api_key_file: Path | None = None
    max_concurrent_generations: int = Field(32, ge=1, le=10_000)
    llm_timeout_seconds: float = Field(120.0, gt=0, le=3600)
    max_prompt_chars: int = Field(8000, ge=1, le=1_000_000)
    # The raw body cap guards the JSON parser itself; MAX_PROMPT_CHARS is checked after parsing.
    max_request_bytes: int = Field(65_536, ge=1024, le=16 * 1024 * 1024)
    log_level: str = Field("INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$")

    @field_validator("ollama_base_url", "cloud_llm_base_url")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    def cloud_api_key(self) -> str | None:
        """The cloud key from CLOUD_LLM_API_KEY, else from the file at CLOUD_LLM_API_KEY_FILE, else None."""
        if self.cloud_llm_api_key is not None and self.cloud_llm_api_key.get_secret_value():
            return self.cloud_llm_api_key.get_secret_value()
        if self.cloud_llm_api_key_file is not None:
            try:
                key = self.cloud_llm_api_key_file.read_text(encoding="utf-8").strip()
            except OSError:
                return None
            return key or None
        return None


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests override this dependency or clear the cache."""
    return Settings()
