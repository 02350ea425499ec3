"""prod: AKS, ACR and Key Vault. Azure modules are imported here only, never on the dev path."""

from __future__ import annotations

from typing import Any

import pulumi

from infra.config import StackConfig


def build(config: StackConfig) -> dict[str, Any]:
    raise pulumi.RunError("prod: the AKS cluster layer is not wired yet")
