"""The stack configuration: one frozen pydantic model tree, validated once before any resource is declared.

`parse_config` takes the raw `prompt2prod:*` values exactly as Pulumi hands them to a program (strings;
structured values JSON-encoded) and either returns a `StackConfig` or raises `ConfigError` listing every
problem at once, each naming its key path (`prompt2prod:ollama.models[1]: ...`).

Secret values are never part of the model: the model only knows which secret keys were provided (and that
they were provided as secrets); `stacks/` reads their values as Pulumi secret Outputs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

from pydantic import ValidationError, model_validator

from infra.config.base import Section, deep_merge
from infra.config.cluster import ClusterConfig
from infra.config.environments import ENVIRONMENTS, Environment
from infra.config.gateway import CLIENT_NAME_PATTERN, CLIENT_NAME_RULE, GatewayConfig
from infra.config.generator import GeneratorConfig
from infra.config.observability import ObservabilityConfig
from infra.config.ollama import OllamaConfig
from infra.config.problems import PROJECT, ProblemAt, closest, describe, shown
from infra.config.registry import RegistryConfig
from infra.config.secret_store import SecretStoreConfig

SecretName = Literal[
    "sshPrivateKey",
    "kubeconfig",
    "cloudLlmApiKey",
    "grafanaAdminPassword",
    "tlsCertificate",
    "tlsPrivateKey",
    "registryPassword",
    "apiKeys",
    "githubToken",
]
SECRET_NAMES: frozenset[str] = frozenset(get_args(SecretName))
SECRET_DESCRIPTIONS: dict[str, str] = {
    "sshPrivateKey": "SSH private key for a remote K3s host (`cluster.k3s.host` other than localhost)",
    "kubeconfig": "kubeconfig of a cluster you bring (`cluster.kind: existing`)",
    "cloudLlmApiKey": "API key of the OpenAI-compatible cloud provider; without it `x-llm-mode: cloud` answers 503",
    "grafanaAdminPassword": "Grafana admin password; generated (pulumi-random) when unset",
    "tlsCertificate": "PEM certificate (chain) of the public listener when `gateway.tls: secret`",
    "tlsPrivateKey": "PEM private key of the public listener when `gateway.tls: secret`",
    "registryPassword": "password/token of an external registry (`registry.kind: external`)",
    "apiKeys": "API keys of the public routes by client name (`pulumi config set --secret --path apiKeys.<name> "
    "...`); a client of `gateway.apiClients` without one gets a generated key",
    "githubToken": "GitHub token publishing uses (a fine-grained token or GitHub App installation token with "
    "Contents and Pull requests write, and Administration write to create repositories, on "
    "`generator.publishing.owners`); required exactly when those owners are set",
}
API_KEYS: SecretName = "apiKeys"
GITHUB_TOKEN: SecretName = "githubToken"  # noqa: S105 - the name of a config key, not a token


class PlatformConfig(Section):
    environment: Environment
    """dev or prod: picks the cluster, registry and secret store implementations."""
    cluster: ClusterConfig = ClusterConfig()
    registry: RegistryConfig = RegistryConfig()
    secret_store: SecretStoreConfig = SecretStoreConfig()
    ollama: OllamaConfig = OllamaConfig()
    gateway: GatewayConfig = GatewayConfig()
    observability: ObservabilityConfig = ObservabilityConfig()
    generator: GeneratorConfig = GeneratorConfig()

    @model_validator(mode="after")
    def _generator_model_is_served(self) -> PlatformConfig:
        if self.generator.model not in self.ollama.models:
            raise ProblemAt("generator.model", f"{self.generator.model!r} is not in ollama.models {self.ollama.models}")
        return self

    @model_validator(mode="after")
    def _publishing_clients_exist(self) -> PlatformConfig:
        clients = self.generator.publishing.clients
        unknown = [index for index, name in enumerate(clients) if name not in self.gateway.api_clients]
        if unknown:
            first = unknown[0]
            names = ", ".join(repr(clients[index]) for index in unknown)
            raise ProblemAt(
                f"generator.publishing.clients[{first}]",
                f"{names} not in gateway.apiClients {self.gateway.api_clients}: only a client with an API key "
                "can be allowed to publish",
            )
        return self

    @model_validator(mode="after")
    def _platform_hosts_outside_the_apps_domain(self) -> PlatformConfig:
        # The `apps` listener takes `*.<appsDomain>`: a platform host below it would be served as a generated app.
        inside = [host for host in self.gateway.hostnames if host.endswith(f".{self.apps_domain}")]
        if inside:
            raise ProblemAt(
                "generator.appsDomain",
                f"{self.apps_domain!r} would take over {', '.join(inside)}: the gateway serves every name below "
                "it as a generated app; choose a domain no platform hostname ends with",
            )
        return self

    @property
    def apps_domain(self) -> str:
        """`generator.appsDomain`, else `apps.` + the domain of `gateway.generatorHostname`
        (`generator.example.com` -> `apps.example.com`)."""
        if self.generator.apps_domain is not None:
            return self.generator.apps_domain
        _, _, domain = self.gateway.generator_hostname.partition(".")
        return f"apps.{domain or self.gateway.generator_hostname}"

    @model_validator(mode="after")
    def _gpu_needs_a_gpu_pool(self) -> PlatformConfig:
        if self.ollama.gpu.enabled and self.cluster.kind == "aks" and self.cluster.aks.gpu_pool is None:
            raise ProblemAt("ollama.gpu.enabled", "needs cluster.aks.gpuPool: the cluster has no GPU nodes")
        # The program installs K3s without the NVIDIA runtime and device plugin, so `nvidia.com/gpu` would never
        # be allocatable and Ollama would stay Pending. An `existing` cluster may have GPU nodes (see docs/ollama.md).
        if self.ollama.gpu.enabled and self.cluster.kind == "k3s":
            raise ProblemAt(
                "ollama.gpu.enabled",
                "not supported with cluster.kind 'k3s' (no NVIDIA device plugin is installed); use "
                "cluster.kind 'existing' with labelled GPU nodes, or AKS with cluster.aks.gpuPool",
            )
        return self


@dataclass(frozen=True)
class StackConfig:
    """The validated plain configuration and the names of the secret keys that were provided."""

    platform: PlatformConfig
    secrets: frozenset[str]
    api_key_names: frozenset[str] = frozenset()
    """The client names `apiKeys` holds a key for (the names only: values stay secret Outputs)."""

    def has_secret(self, name: SecretName) -> bool:
        return name in self.secrets


class ConfigError(Exception):
    """Invalid stack configuration; `problems` holds one line per problem, each naming its key."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid configuration:\n" + "\n".join(f"  {line}" for line in problems))


def parse_config(values: Mapping[str, str], secret_keys: Iterable[str] = ()) -> StackConfig:
    """Validate the stack's raw config (every namespace, as Pulumi hands it over); raise `ConfigError` listing every
    problem at once. Keys of other namespaces are the providers' (`kubernetes:`, `azure-native:`, `pulumi:` ...),
    except that a namespace a typo away from `prompt2prod` is refused: its keys would otherwise be silently ignored."""
    secret_keys = set(secret_keys)
    problems: list[str] = []
    document: dict[str, Any] = {}
    provided_secrets: set[str] = set()
    api_key_names: set[str] = set()
    for full_key, raw in sorted(values.items()):
        namespace, _, key = full_key.partition(":")
        if namespace != PROJECT:
            if closest(namespace, [PROJECT]):
                problems.append(f"{full_key}: unknown namespace {namespace!r}; did you mean {PROJECT}:{key}?")
            continue
        if key in SECRET_NAMES:
            if full_key not in secret_keys:
                problems.append(f"{full_key}: must be set as a secret (pulumi config set --secret {key} ...)")
            elif not raw:
                problems.append(f"{full_key}: is empty")
            elif key == API_KEYS:
                api_key_names, found = _api_key_names(full_key, raw)
                problems += found
            provided_secrets.add(key)
        elif key not in _TOP_LEVEL_KEYS:
            known = sorted(_TOP_LEVEL_KEYS | SECRET_NAMES)
            guess = closest(key, known)
            hint = f"; did you mean {guess}?" if guess else ""
            problems.append(f"{full_key}: unknown key{hint} (known: {', '.join(known)})")
        else:
            document[key] = _decode(raw)

    environment: Any = document.get("environment")
    # Hashable first: Pulumi hands a mapping over as JSON text, which decodes to a dict.
    if not isinstance(environment, str) or environment not in ENVIRONMENTS:
        known_environments = " or ".join(repr(name) for name in ENVIRONMENTS)
        got = "nothing" if environment is None else shown(environment)
        problems.append(f"{PROJECT}:environment: must be {known_environments}, got {got}")
        raise ConfigError(problems)

    platform: PlatformConfig | None = None
    try:
        rules = ENVIRONMENTS[cast(Environment, environment)]
        platform = PlatformConfig.model_validate(
            deep_merge(rules.defaults, document), context={"environment": environment}
        )
    except ValidationError as error:
        problems.extend(describe(error))
    if platform is not None:
        problems.extend(_missing_secrets(platform, provided_secrets))
        problems += [
            f"{PROJECT}:{API_KEYS}.{name}: {name!r} is not in gateway.apiClients {platform.gateway.api_clients}"
            for name in sorted(api_key_names - set(platform.gateway.key_clients))
        ]
    if problems or platform is None:
        raise ConfigError(problems)
    return StackConfig(platform=platform, secrets=frozenset(provided_secrets), api_key_names=frozenset(api_key_names))


_CLIENT_NAME = re.compile(CLIENT_NAME_PATTERN)


def _api_key_names(full_key: str, raw: str) -> tuple[set[str], list[str]]:
    """The client names of the `apiKeys` secret (a map name -> key), and what is wrong with it; never a value."""
    try:
        keys = json.loads(raw)
    except json.JSONDecodeError:
        keys = None
    if not isinstance(keys, dict):
        return set(), [
            f"{full_key}: must be a map of client name to key (pulumi config set --secret --path "
            f"'{API_KEYS}.<name>' ...)"
        ]
    problems = [
        f"{full_key}.{name}: {name!r} is not {CLIENT_NAME_RULE}"
        for name in sorted(keys)
        if not _CLIENT_NAME.match(name)
    ]
    problems += [
        f"{full_key}.{name}: must be a non-empty string"
        for name, key in sorted(keys.items())
        if not isinstance(key, str) or not key.strip()
    ]
    return set(keys), problems


_TOP_LEVEL_KEYS = frozenset(field.alias or name for name, field in PlatformConfig.model_fields.items())


def _missing_secrets(platform: PlatformConfig, provided: set[str]) -> list[str]:
    needed: list[tuple[str, str]] = []
    cluster = platform.cluster
    if cluster.kind == "k3s" and not cluster.k3s.is_local:
        needed.append(("sshPrivateKey", f"cluster.k3s.host {cluster.k3s.host!r} is reached over SSH"))
    if cluster.kind == "existing":
        needed.append(("kubeconfig", "cluster.kind is 'existing'"))
    registry = platform.registry
    if registry.kind == "external" and registry.external.username is not None:
        needed.append(("registryPassword", "registry.external.username is set"))
    if platform.gateway.tls == "secret":
        needed += [(name, "gateway.tls is 'secret'") for name in ("tlsCertificate", "tlsPrivateKey")]
    owners = platform.generator.publishing.owners
    if owners:
        needed.append((GITHUB_TOKEN, f"generator.publishing.owners is set ({', '.join(owners)})"))
    problems = [f"{PROJECT}:{name}: required because {why}" for name, why in needed if name not in provided]
    if GITHUB_TOKEN in provided and not owners:
        problems.append(
            f"{PROJECT}:{GITHUB_TOKEN}: set, but generator.publishing.owners is empty: publishing is off and the "
            "token would sit unused; set the owners (and clients) or remove the secret"
        )
    return problems


def _decode(raw: str) -> Any:
    """Pulumi passes structured config as JSON text and scalars as plain strings."""
    if raw[:1] in ("{", "["):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw


__all__ = [
    "API_KEYS",
    "GITHUB_TOKEN",
    "PROJECT",
    "SECRET_DESCRIPTIONS",
    "SECRET_NAMES",
    "ConfigError",
    "PlatformConfig",
    "SecretName",
    "StackConfig",
    "deep_merge",
    "parse_config",
]
