"""The stack outputs contract: every exported output is a field of `StackOutputs`.

Dashboards and other tools consume `pulumi stack output --json`; this model is that document's schema
(committed as `schema/stack-outputs.schema.json`, versioned by `SCHEMA_VERSION`). Credentials are exported
only as Pulumi secrets, which `pulumi stack output --json` prints as `"[secret]"`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import pulumi
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

SCHEMA_VERSION = 1
SECRET = "[secret]"  # noqa: S105 - the marker Pulumi prints in place of a secret


class StackOutputs(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)

    schema_version: Literal[1]
    environment: Literal["dev", "prod"]
    cluster_name: str
    cluster_kind: Literal["k3s", "existing", "aks"]
    kubeconfig: Literal["[secret]"] | str
    """Secret: `pulumi stack output kubeconfig --show-secrets > kubeconfig`."""
    namespaces: list[str]
    registry_login_server: str
    """Push the generator image here: `docker push <registryLoginServer>/generator:<tag>`."""
    key_vault_uri: str | None
    """prod: the Key Vault holding the workloads' secrets; null in dev (Kubernetes Secrets)."""


SECRET_OUTPUTS = frozenset({"kubeconfig"})


def export_outputs(values: Mapping[str, Any]) -> dict[str, pulumi.Output[Any]]:
    """Export exactly the fields of `StackOutputs` (by their camelCase names); secrets stay secret."""
    expected = {field.alias or name for name, field in StackOutputs.model_fields.items()}
    missing, unknown = expected - values.keys(), values.keys() - expected
    if missing or unknown:
        raise ValueError(
            f"stack outputs do not match StackOutputs: missing {sorted(missing)}, unknown {sorted(unknown)}"
        )
    exported: dict[str, pulumi.Output[Any]] = {}
    for key in sorted(values):
        output = pulumi.Output.from_input(values[key])
        exported[key] = pulumi.Output.secret(output) if key in SECRET_OUTPUTS else output
        pulumi.export(key, exported[key])
    return exported
