"""What an environment provides next to its cluster: where images live and where secrets come from."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from infra.secrets.store import SecretStore


@dataclass(frozen=True, kw_only=True)
class ClusterServices:
    registry_login_server: pulumi.Input[str]
    """Where the generator image is pushed (`docker push <login server>/generator:<tag>`) and pulled from."""
    secret_store: SecretStore
    """Workloads ask it for their secrets as files (`workload_secrets`)."""
    key_vault_uri: pulumi.Input[str] | None = None
    """prod only."""
    image_pull_secret: str | None = None
    """dev with a private external registry: the pull Secret's name in the generator namespace."""
