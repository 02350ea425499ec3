"""Reading the stack's configuration from the Pulumi runtime, once, before any resource is declared."""

from __future__ import annotations

import pulumi
from pulumi.runtime import config as runtime_config

from infra.config import PROJECT, SecretName, StackConfig, parse_config


def load_stack_config() -> StackConfig:
    """The stack's config as the engine handed it over (every namespace, so that a misspelt `prompt2prod` is
    caught), validated; raises `ConfigError`."""
    values: dict[str, str] = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    secret_keys = set(runtime_config.get_config_secret_keys_env())
    secret_keys |= {key for key in values if runtime_config.is_config_secret(key)}
    return parse_config(values, secret_keys)


def secret(name: SecretName) -> pulumi.Output[str]:
    """A secret config value as a secret Output (validation already checked it is present)."""
    return pulumi.Config(PROJECT).require_secret(name)
