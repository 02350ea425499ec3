"""The stack outputs contract: every exported output is a field of `StackOutputs`.

Dashboards and other tools consume `pulumi stack output --json`; this model is that document's schema
(committed as `schema/stack-outputs.schema.json`, versioned by `SCHEMA_VERSION`). Credentials are exported
only as Pulumi secrets, which `pulumi stack output --json` prints as `"[secret]"`. The Python SDK drops an output
whose value is `None` when it registers the stack's outputs, so an output that only one environment has is
optional here (absent elsewhere), never required-but-null.

Adding an output: add the field here (and its name to `SECRET_OUTPUTS` if it is a credential), return it from
`stacks.platform.build_platform`, then regenerate the schema and the docs: `make generate`. Bump `SCHEMA_VERSION`
when a field is removed, renamed or changes type, and say so in CHANGELOG.md.
The CLI (`python -m infra.outputs validate|summary|overview FILE`) lives in `infra.outputs.cli`, which imports this
module (never the other way round).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import pulumi
from pydantic import BaseModel, ConfigDict, ValidationInfo, ValidatorFunctionWrapHandler, field_validator
from pydantic.alias_generators import to_camel

SCHEMA_VERSION = 1
SECRET = "[secret]"  # noqa: S105 - the marker Pulumi prints in place of a secret
SCHEMA_PATH = "schema/stack-outputs.schema.json"
SCHEMA_COMMAND = "make generate"


class StackOutputs(BaseModel):
    # The docstring under a field is its description: in the JSON Schema and in docs/outputs.md (`make docs`).
    model_config = ConfigDict(
        frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True, use_attribute_docstrings=True
    )

    @field_validator("*", mode="wrap")
    @classmethod
    def _secret_may_be_redacted(cls, value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
        # `pulumi stack output --json` prints "[secret]" in place of every secret, whatever its type.
        if value == SECRET and to_camel(info.field_name or "") in SECRET_OUTPUTS:
            return value
        return handler(value)

    schema_version: Literal[1]
    """Version of this contract: bumped when an output is removed, renamed or changes type."""
    environment: Literal["dev", "prod"]
    """The stack's `prompt2prod:environment`."""
    cluster_name: str
    """The cluster's name (`cluster.name`)."""
    cluster_kind: Literal["k3s", "existing", "aks"]
    """How the cluster was made (`cluster.kind`)."""
    kubeconfig: str
    """Read it with `pulumi stack output kubeconfig --show-secrets > kubeconfig` (AKS: a kubelogin exec kubeconfig)."""
    kubernetes_version: str
    """The cluster's Kubernetes version (AKS: the pinned minor version, e.g. `1.33`)."""
    resource_group_name: str | None = None
    """prod: the Azure resource group of the cluster; absent in dev."""
    location: str | None = None
    """prod: the Azure region; absent in dev."""
    oidc_issuer_url: str | None = None
    """prod: the AKS OIDC issuer URL (workload identity); absent in dev."""
    namespaces: list[str]
    """The platform's namespaces."""
    ollama_url: str
    """In-cluster base URL of the Ollama API (`http://ollama.llm.svc.cluster.local:11434`)."""
    ollama_models: list[str]
    """The models the preload Job keeps on Ollama's volume, as configured in `ollama.models`."""
    generator_image: str
    """The generator's full image reference: `<repository>:<tag>`, or `<repository>@sha256:…` when pinned."""
    gateway_address: str
    """IP or hostname of the public Gateway's load balancer (point the hostnames' DNS records at it)."""
    generator_url: str
    """`https://<gateway.generatorHostname>` (`http://` when `gateway.tls` is `none`)."""
    llm_url: str
    """The LLM API: Ollama by default or with `x-llm-mode: local`, the cloud provider via the generator with
    `x-llm-mode: cloud`."""
    grafana_url: str
    """`https://<gateway.grafanaHostname>` (`http://` when `gateway.tls` is `none`)."""
    apps_domain: str
    """Generated projects are served at `https://<name>.<appsDomain>` (`http://` when `gateway.tls` is `none`)
    through the Gateway's `apps` listener; point a wildcard DNS record `*.<appsDomain>` at `gatewayAddress`."""
    publishing_enabled: bool
    """Whether the generator may publish projects to GitHub (`generator.publishing.owners` set, token mounted)."""
    dashboard_urls: dict[str, str]
    """Grafana dashboard name (generator, ollama, gateway, overview) -> URL."""
    prometheus_retention: str
    """How long Prometheus keeps samples (e.g. `15d`)."""
    prometheus_retention_size: str
    """Size at which Prometheus drops its oldest blocks (e.g. `8GB`)."""
    loki_retention: str
    """How long Loki keeps logs (e.g. `168h`)."""
    loki_storage: Literal["filesystem", "azureBlob"]
    """Where Loki keeps its chunks: `filesystem` (a volume, dev) or `azureBlob` (prod)."""
    registry_login_server: str
    """Push the generator image here: `docker push <registryLoginServer>/generator:<tag>`."""
    key_vault_uri: str | None = None
    """prod: the Key Vault holding the workloads' secrets; absent in dev (Kubernetes Secrets)."""


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
