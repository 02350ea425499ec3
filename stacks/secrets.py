"""Passwords and API keys that are the operator's config secret when set, generated otherwise (dev and prod)."""

from __future__ import annotations

import json

import pulumi

from infra.config import API_KEYS, SecretName, StackConfig
from infra.secrets.store import provided_or_generated
from stacks.config import secret

API_KEY_LENGTH = 40


def config_secret_or_generated(
    config: StackConfig, key: SecretName, resource_name: str, opts: pulumi.ResourceOptions | None = None
) -> pulumi.Output[str]:
    """E.g. `config_secret_or_generated(config, "grafanaAdminPassword", "grafana-admin-password")`.

    The generated value lives in the stack's state (encrypted) and stays the same across `pulumi up`s; read it
    with `pulumi stack output` only if a component exports it, never from a log.
    """
    provided = secret(key) if config.has_secret(key) else None
    return provided_or_generated(resource_name, provided, opts)


def api_keys(config: StackConfig) -> dict[str, pulumi.Output[str]]:
    """One API key per client (`gateway.apiClients` and `verify`): `apiKeys.<name>` when set, else generated
    (`generated-api-key-<name>`).

    A generated key stays the same across `pulumi up`s until its `RandomPassword` is replaced; docs/gateway.md says
    how to read it from the cluster.
    """
    provided: pulumi.Output[dict[str, str]] | None = (
        secret(API_KEYS).apply(json.loads) if config.api_key_names else None
    )
    keys: dict[str, pulumi.Output[str]] = {}
    for client in config.platform.gateway.key_clients:
        value = _entry(provided, client) if provided is not None and client in config.api_key_names else None
        keys[client] = provided_or_generated(f"generated-api-key-{client}", value, length=API_KEY_LENGTH)
    return keys


def _entry(keys: pulumi.Output[dict[str, str]], client: str) -> pulumi.Output[str]:
    return keys.apply(lambda entries: entries[client])
