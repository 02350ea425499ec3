"""`prompt2prod:gateway` — the Gateway API gateway: hostnames, TLS, limits, the kgateway controller and the canary."""

from __future__ import annotations

from typing import Annotated, ClassVar, Final, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from infra.config.base import Hostname, ImageTag, PositiveInt, Resources, Section, matching
from infra.config.environments import enough_replicas, environment_of, reachable_hostname, rules_of

VERIFY_CLIENT: Final = "verify"
"""The deploy verification's own client (docs/delivery.md): always has a key, configured or not."""
MAX_API_CLIENTS: Final = 32
"""The client name is a metric label value of the generator: the set stays small and known."""
CLIENT_NAME_PATTERN: Final = r"^[a-z][a-z0-9-]{0,31}$"
CLIENT_NAME_RULE: Final = "a client name (lower-case letter, then up to 31 letters, digits or '-')"
ClientName = Annotated[str, matching(CLIENT_NAME_PATTERN, CLIENT_NAME_RULE)]
"""The name of one API key: what the gateway forwards to the generator once the key is accepted."""


def distinct_client_names(value: list[str]) -> list[str]:
    """The names, refused when one is listed twice (each names one key)."""
    repeated = sorted({name for name in value if value.count(name) > 1})
    if repeated:
        raise ValueError(f"client names must be unique: {', '.join(repeated)} listed more than once")
    return value


class CanaryConfig(Section):
    """A second generator version behind the same hostname (the generator component deploys it)."""

    enabled: bool = False
    """Run a second generator version (`generator-canary`) and send it `weight` percent of the traffic."""
    image_tag: ImageTag | None = None
    """Generator image tag of the canary version."""
    weight: int = Field(default=10, ge=0, le=100)
    """Percent of generator traffic sent to the canary."""

    @model_validator(mode="after")
    def _tag_when_enabled(self) -> CanaryConfig:
        if self.enabled and self.image_tag is None:
            raise ValueError("imageTag is required when the canary is enabled")
        return self


class GatewayDeployment(Section):
    """Replicas and resources of one of the gateway's Deployments."""

    replicas: PositiveInt = 1
    """Replicas; prod runs at least 2, with a PodDisruptionBudget (`minAvailable: 1`)."""
    resources: Resources = Resources(cpu_request="100m", memory_request="128Mi", cpu_limit="1", memory_limit="512Mi")

    WHAT: ClassVar[str]
    WHY: ClassVar[str]
    """What the environment's replica floor protects (said when `replicas` is below it)."""

    @field_validator("replicas")
    @classmethod
    def _highly_available(cls, value: int, info: ValidationInfo) -> int:
        return enough_replicas(value, info, cls.WHAT, cls.WHY)


class ControllerConfig(GatewayDeployment):
    """The kgateway control plane (its Helm release)."""

    WHAT = "controller replicas"
    WHY = "a node drain keeps routes updating"


class ProxyConfig(GatewayDeployment):
    """The Envoy data plane kgateway deploys for the `public` Gateway (configured through GatewayParameters)."""

    WHAT = "gateway proxy replicas"
    WHY = "a node drain keeps the site up"


class GatewayConfig(Section):
    generator_hostname: Hostname = "generator.prompt2prod.localhost"
    """Public hostname of the generator service. prod needs a real DNS name (`*.localhost` is refused there)."""
    llm_hostname: Hostname = "llm.prompt2prod.localhost"
    """Public hostname of the LLM API (`x-llm-mode` picks Ollama or the cloud provider)."""
    grafana_hostname: Hostname = "grafana.prompt2prod.localhost"
    """Public hostname of Grafana."""
    tls: Literal["none", "selfSigned", "secret"] = "none"
    """`secret`: certificate and key from the `tlsCertificate` / `tlsPrivateKey` config secrets."""
    max_request_bytes: int = Field(default=1_048_576, ge=1024, le=64 * 1_048_576)
    """Largest request body the public routes accept; larger bodies get HTTP 413 from the gateway."""
    requests_per_minute: int = Field(default=120, ge=1, le=100_000)
    """Local rate limit per gateway replica on the generator and LLM routes; excess requests get HTTP 429."""
    api_clients: list[ClientName] = Field(default=["default"], min_length=1, max_length=MAX_API_CLIENTS)
    """One API key per name, sent as `x-api-key`: the key is the `apiKeys.<name>` config secret when set, else
    generated. Removing a name revokes its key; the others keep working. `verify` (the deploy verification's
    client) is always added."""
    controller: ControllerConfig = ControllerConfig()
    proxy: ProxyConfig = ProxyConfig()
    canary: CanaryConfig = CanaryConfig()

    @field_validator("generator_hostname", "llm_hostname", "grafana_hostname")
    @classmethod
    def _public_where_required(cls, value: str, info: ValidationInfo) -> str:
        return reachable_hostname(value, info)

    @field_validator("api_clients")
    @classmethod
    def _distinct_clients(cls, value: list[str]) -> list[str]:
        return distinct_client_names(value)

    @field_validator("tls")
    @classmethod
    def _tls_where_required(cls, value: str, info: ValidationInfo) -> str:
        if rules_of(info).tls_required and value == "none":
            raise ValueError(
                f"TLS is required on the public listener in {environment_of(info)} ('selfSigned' or 'secret')"
            )
        return value

    @model_validator(mode="after")
    def _distinct_hostnames(self) -> GatewayConfig:
        names = [self.generator_hostname, self.llm_hostname, self.grafana_hostname]
        if len(set(names)) != len(names):
            raise ValueError(
                "generatorHostname, llmHostname and grafanaHostname must differ: each one selects its own route"
            )
        return self

    @property
    def key_clients(self) -> list[str]:
        """Every client that gets an API key: `apiClients`, plus `verify` when it is not listed."""
        return [*self.api_clients, *([] if VERIFY_CLIENT in self.api_clients else [VERIFY_CLIENT])]

    @property
    def hostnames(self) -> list[str]:
        """Every public hostname, in a stable order (the certificate's subject alternative names)."""
        return [self.generator_hostname, self.llm_hostname, self.grafana_hostname]

    @property
    def scheme(self) -> Literal["http", "https"]:
        return "http" if self.tls == "none" else "https"
