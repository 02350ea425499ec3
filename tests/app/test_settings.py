"""Settings come from the environment variables named in docs/service.md, with the platform's defaults (one default
per knob: the service run locally behaves as deployed), invalid values fail naming the variable, and nothing
is read at import time.
"""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.settings import InvalidSettings, get_settings
from infra.config import PlatformConfig

ROOT = Path(__file__).resolve().parents[2]

ENV_NAMES = [
    "OLLAMA_BASE_URL",
    "GENERATOR_MODEL",
    "CLOUD_LLM_BASE_URL",
    "CLOUD_LLM_MODEL",
    "CLOUD_LLM_API_KEY",
    "CLOUD_LLM_API_KEY_FILE",
    "MAX_CONCURRENT_GENERATIONS",
    "LLM_TIMEOUT_SECONDS",
    "REQUEST_TIMEOUT_SECONDS",
    "CLIENT_READ_TIMEOUT_SECONDS",
    "MAX_PROMPT_CHARS",
    "MAX_REQUEST_BYTES",
    "CLOUD_BUDGET_REQUESTS_PER_HOUR",
    "LOG_LEVEL",
    "PUBLISH_OWNERS",
    "PUBLISH_CLIENTS",
    "GITHUB_API_URL",
    "GITHUB_TOKEN",
    "GITHUB_TOKEN_FILE",
]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


#: Setting -> the platform's `generator` config field (dotted) that sets it in the Deployment.
PLATFORM_FIELDS = {
    "generator_model": "model",
    "max_concurrent_generations": "max_concurrent_generations",
    "llm_timeout_seconds": "llm_timeout_seconds",
    "request_timeout_seconds": "request_timeout_seconds",
    "max_prompt_chars": "max_prompt_chars",
    "cloud_llm_base_url": "cloud.base_url",
    "cloud_llm_model": "cloud.model",
}


def test_defaults_are_the_platform_defaults(clean_env: pytest.MonkeyPatch) -> None:
    settings = get_settings()
    platform = PlatformConfig.model_fields["generator"].default

    for setting, dotted in PLATFORM_FIELDS.items():
        value: object = platform
        for part in dotted.split("."):
            value = getattr(value, part, None)
        assert value is not None, f"the platform's generator config has no {dotted} for {setting}"
        assert str(getattr(settings, setting)).rstrip("/") == str(value).rstrip("/"), setting


def test_defaults(clean_env: pytest.MonkeyPatch) -> None:
    settings = get_settings()

    assert settings.ollama_base_url == "http://ollama:11434"
    assert settings.generator_model == "llama3.2:3b"
    assert settings.cloud_llm_api_key is None
    assert settings.cloud_llm_api_key_file is None
    assert settings.max_concurrent_generations == 8
    assert settings.request_timeout_seconds == 240
    assert settings.llm_timeout_seconds == 120
    assert settings.client_read_timeout_seconds == 10
    assert settings.max_request_bytes == 65536


def test_every_design_variable_is_read(clean_env: pytest.MonkeyPatch) -> None:
    values = {
        "OLLAMA_BASE_URL": "http://ollama.ai.svc:11434/",
        "GENERATOR_MODEL": "llama3.2",
        "CLOUD_LLM_BASE_URL": "https://api.example.com/v1",
        "CLOUD_LLM_MODEL": "gpt-x",
        "CLOUD_LLM_API_KEY": "sk-env",
        "MAX_CONCURRENT_GENERATIONS": "7",
        "LLM_TIMEOUT_SECONDS": "9.5",
        "REQUEST_TIMEOUT_SECONDS": "30",
        "CLIENT_READ_TIMEOUT_SECONDS": "2.5",
        "MAX_PROMPT_CHARS": "123",
        "MAX_REQUEST_BYTES": "4096",
    }
    for name, value in values.items():
        clean_env.setenv(name, value)

    settings = get_settings()

    assert settings.ollama_base_url == "http://ollama.ai.svc:11434"
    assert settings.generator_model == "llama3.2"
    assert settings.cloud_llm_base_url == "https://api.example.com/v1"
    assert settings.cloud_llm_model == "gpt-x"
    assert settings.cloud_llm_api_key is not None
    assert settings.cloud_llm_api_key.get_secret_value() == "sk-env"
    assert settings.max_concurrent_generations == 7
    assert settings.llm_timeout_seconds == 9.5
    assert settings.request_timeout_seconds == 30
    assert settings.client_read_timeout_seconds == 2.5
    assert settings.max_prompt_chars == 123
    assert settings.max_request_bytes == 4096


def test_publishing_variables_are_read_as_the_platform_sets_them(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("PUBLISH_OWNERS", '["acme", "octo"]')
    clean_env.setenv("PUBLISH_CLIENTS", '["ci"]')
    clean_env.setenv("GITHUB_API_URL", "https://ghe.example.com/api/v3/")
    clean_env.setenv("GITHUB_TOKEN_FILE", "/var/run/secrets/prompt2prod/github-token")

    settings = get_settings()

    assert settings.publish_owners == ["acme", "octo"]
    assert settings.publish_clients == ["ci"]
    assert settings.github_api_url == "https://ghe.example.com/api/v3"
    assert str(settings.github_token_file) == "/var/run/secrets/prompt2prod/github-token"


@pytest.mark.parametrize(
    ("name", "value"),
    [("PUBLISH_OWNERS", '["acme/app"]'), ("PUBLISH_OWNERS", "acme"), ("PUBLISH_CLIENTS", '["CI"]')],
    ids=["owner-with-slash", "not-a-json-list", "client-upper-case"],
)
def test_invalid_publishing_values_fail_naming_the_variable(
    clean_env: pytest.MonkeyPatch, name: str, value: str
) -> None:
    clean_env.setenv(name, value)

    with pytest.raises(InvalidSettings) as failure:
        get_settings()

    assert name in str(failure.value)


def test_api_key_is_hidden_in_repr(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("CLOUD_LLM_API_KEY", "sk-very-secret")

    assert "sk-very-secret" not in repr(get_settings())


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MAX_CONCURRENT_GENERATIONS", "0"),
        ("LLM_TIMEOUT_SECONDS", "-1"),
        ("REQUEST_TIMEOUT_SECONDS", "0"),
        ("OLLAMA_BASE_URL", "ollama:11434"),
        ("OLLAMA_BASE_URL", "http://ollama:114340"),
        ("OLLAMA_BASE_URL", "http://"),
        ("OLLAMA_BASE_URL", "http://ollama :11434"),
        ("CLOUD_LLM_BASE_URL", "https://openrouter.ai/api/v1?key=x"),
        ("LOG_LEVEL", "LOUD"),
    ],
    ids=["not-positive", "negative", "zero", "no-scheme", "port", "no-host", "space", "query", "log-level"],
)
def test_invalid_values_fail_naming_the_variable(clean_env: pytest.MonkeyPatch, name: str, value: str) -> None:
    clean_env.setenv(name, value)

    with pytest.raises(InvalidSettings) as failure:
        get_settings()

    assert str(failure.value).startswith(f"{name}: ")
    assert len(str(failure.value).splitlines()) == 1


def test_importing_the_app_reads_no_settings() -> None:
    # An invalid setting would make Settings() raise: importing must still work, as nothing reads them yet.
    env = {**os.environ, "MAX_CONCURRENT_GENERATIONS": "0"}
    code = "import app.main, app.settings; assert app.settings.get_settings.cache_info().currsize == 0"

    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, check=False)

    assert result.returncode == 0, result.stderr
