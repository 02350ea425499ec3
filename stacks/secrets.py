"""Passwords that are the operator's config secret when set, generated otherwise (same in dev and prod)."""

from __future__ import annotations

import pulumi

from infra.config import SecretName, StackConfig
from infra.secrets.store import provided_or_generated
from stacks.config import secret


def config_secret_or_generated(
    config: StackConfig, key: SecretName, resource_name: str, opts: pulumi.ResourceOptions | None = None
) -> pulumi.Output[str]:
    """E.g. `config_secret_or_generated(config, "grafanaAdminPassword", "grafana-admin-password")`.

    The generated value lives in the stack's state (encrypted) and stays the same across `pulumi up`s; read it
    with `pulumi stack output` only if a component exports it, never from a log.
    """
    provided = secret(key) if config.has_secret(key) else None
    return provided_or_generated(resource_name, provided, opts)
