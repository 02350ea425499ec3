"""The verification's own credential: the API key of the gateway client named `verify`.

The gateway authenticates every public route with a per-client key sent in `x-api-key` (docs/gateway.md). Verification
is one such client. Its key is the `verify` entry of the Kubernetes Secret the gateway itself reads the keys from
(`gateway/api-key-secrets`: written by the program in dev, copied from Key Vault by the CSI driver in prod), so
the deploy workflow (`tools/verify_stack.py`) reads it the same way in every environment, with the stack's
kubeconfig, and never needs to pass the Key Vault firewall. A test ties these names to the rendered TrafficPolicy.

The key reaches `python -m infra.verify` through a file (`--api-key-file`) or the environment
(`PROMPT2PROD_VERIFY_API_KEY`), never through argv (visible in `ps`), and is never printed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from infra import topology
from infra.config.gateway import VERIFY_CLIENT

CLIENT: Final = VERIFY_CLIENT
"""The key's name at the gateway; the gateway forwards it to the generator as `x-prompt2prod-client`."""
API_KEY_HEADER: Final = "x-api-key"
CLIENT_HEADER: Final = "x-prompt2prod-client"
KUBERNETES_SECRET_NAMESPACE: Final = topology.NAMESPACE_GATEWAY
KUBERNETES_SECRET_NAME: Final = "api-key-secrets"  # noqa: S105 - the Secret's name, not a key
"""The Secret the gateway's `apiKeyAuth` reads: one entry per client, named by the client."""
KUBERNETES_SECRET_KEY: Final = CLIENT
ENV_VAR: Final = "PROMPT2PROD_VERIFY_API_KEY"
_MAX_KEY_BYTES = 4096


class CredentialError(Exception):
    """The key is missing or unreadable; the message never contains the key."""


def read_api_key(key_file: Path | None, environ: Mapping[str, str] = os.environ) -> str:
    """The key from `key_file` if given, else from `PROMPT2PROD_VERIFY_API_KEY`; surrounding whitespace removed."""
    if key_file is not None:
        try:
            with key_file.open("rb") as handle:
                raw = handle.read(_MAX_KEY_BYTES + 1)
        except OSError as error:
            raise CredentialError(f"cannot read the API key file {key_file}: {error.strerror}") from None
        if len(raw) > _MAX_KEY_BYTES:
            raise CredentialError(f"the API key file {key_file} is larger than {_MAX_KEY_BYTES} bytes")
        key = raw.decode("utf-8", errors="replace").strip()
        source = f"the API key file {key_file}"
    else:
        key = environ.get(ENV_VAR, "").strip()
        source = ENV_VAR
    if not key:
        raise CredentialError(f"no API key: {source} is empty (give --api-key-file or set {ENV_VAR})")
    if any(character.isspace() or not character.isprintable() for character in key):
        raise CredentialError(f"{source} holds more than one token (whitespace or control characters inside)")
    return key
