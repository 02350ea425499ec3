"""Service settings, read from environment variables (names as docs/service.md lists them).

The defaults are the platform's (`infra/config`; tests/app/test_settings.py compares them), so that the
service run locally behaves as it does when deployed.
"""

import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Final, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from app.budget import CLIENT_NAME

#: A GitHub user or organization name: letters, digits and inner hyphens, at most 39 characters.
GITHUB_OWNER: Final = r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$"

# A DNS-1123 label (a namespace's or a Gateway's name); a DNS name is labels joined by dots.
_LABEL = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
DNS_LABEL = rf"^{_LABEL}$"
DNS_NAME = rf"^{_LABEL}(\.{_LABEL})*$"
#: `<project>.<apps domain>` must stay a valid host name (at most 253 characters) for a project name of up to 63.
MAX_APPS_DOMAIN_CHARS = 253 - 64


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
    # Where generated projects deploy: the platform's facts (the stack passes them), never the model's. A generated
    # project N is served at `N.<apps_domain>` through the Gateway's `apps` listener and runs in `apps_namespace`;
    # its CI pushes `<registry_server>/N`. The defaults are the dev platform's (in-cluster registry on NodePort 30500).
    apps_domain: str = Field("apps.prompt2prod.localhost", max_length=MAX_APPS_DOMAIN_CHARS, pattern=DNS_NAME)
    apps_namespace: str = Field("apps", pattern=DNS_LABEL)
    # How the gateway serves the apps: `https` wherever it has TLS (the dev platform has none by default).
    apps_scheme: Literal["http", "https"] = "http"
    registry_server: str = Field("localhost:30500", max_length=253)
    gateway_name: str = Field("public", pattern=DNS_LABEL)
    gateway_namespace: str = Field("gateway", pattern=DNS_LABEL)
    # Publishing to GitHub (app/publish): off while either list is empty or no token is configured.
    publish_owners: list[Annotated[str, Field(pattern=GITHUB_OWNER)]] = Field([], max_length=100)
    publish_clients: list[Annotated[str, Field(pattern=CLIENT_NAME.pattern)]] = Field([], max_length=100)
    github_api_url: str = Field("https://api.github.com", pattern=r"^https?://")
    github_token: SecretStr | None = None
    # The mounted secret; it wins over GITHUB_TOKEN and is read on each use, so a rotated token needs no restart.
    github_token_file: Path | None = None
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

    @field_validator("ollama_base_url", "cloud_llm_base_url", "github_api_url")
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

    @field_validator("registry_server")
    @classmethod
    def _registry_host(cls, value: str) -> str:
        # An image reference starts with it (`<registry_server>/<project>@sha256:…`): a scheme, a path or an upper-case
        # letter would make every generated deploy job fail at `docker push`.
        host, colon, port = value.partition(":")
        if re.fullmatch(DNS_NAME, host) is None or (colon and not (port.isdigit() and 1 <= int(port) <= 65535)):
            raise ValueError("must be a registry host, lower case, with a port from 1 to 65535 if any (host[:port])")
        return value


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
    except SettingsError as exc:
        # A list variable whose value is not JSON fails before validation, naming the field in its message only.
        field = re.search(r'field "([a-z_]+)"', str(exc))
        name = field.group(1).upper() if field else "?"
        raise InvalidSettings(f'{name}: not a JSON list (write ["a", "b"])') from None
