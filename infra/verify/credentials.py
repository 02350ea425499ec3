"""The verification's own credential: the API key of the gateway client named `verify`.

The gateway authenticates every public route with a per-client key sent in `x-api-key` (docs/gateway.md). Verification
is one such client. Its key lives in the platform's secret store under the names below, which the deploy
workflow reads (`tools/verify_stack.py`) and whichever component creates the gateway's keys must use:
- dev: the Kubernetes Secret `api-key-verify` in the `gateway` namespace, data key `api-key`;
- prod: the Key Vault secret `api-key-verify`.

The key reaches `python -m infra.verify` through a file (`--api-key-file`) or the environment
(`PROMPT2PROD_VERIFY_API_KEY`), never through argv (visible in `ps`), and is never printed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from infra import topology

CLIENT: Final = "verify"
"""The key's name at the gateway; the gateway forwards it to the generator as `x-prompt2prod-client`."""
API_KEY_HEADER: Final = "x-api-key"
CLIENT_HEADER: Final = "x-prompt2prod-client"
KUBERNETES_SECRET_NAMESPACE: Final = topology.NAMESPACE_GATEWAY
KUBERNETES_SECRET_NAME: Final = f"api-key-{CLIENT}"
KUBERNETES_SECRET_KEY: Final = "api-key"  # noqa: S105 - the data key's name, not a key
KEY_VAULT_SECRET_NAME: Final = f"api-key-{CLIENT}"
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
