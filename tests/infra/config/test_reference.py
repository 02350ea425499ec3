"""The configuration reference shows what each environment really uses, not a class default.

Guards the reference that listed `generator.resources.memoryRequest` as 128Mi (it renders 192Mi), Ollama's
resources as 100m/128Mi (1/4Gi), the gateway at one replica (prod runs 2) and `systemPool.*` as required (prod
renders without it): it read the defaults of the nested classes, not of the sections that set their own.
"""

from __future__ import annotations

import pytest

from infra.config import ConfigError
from infra.config.environments import ENVIRONMENTS, Environment, minimal_config
from infra.config.reference import NOT_USED, KeyRow, cli_table, effective_config, key_rows, keys_table
from tests.support.config import load


def row(key: str) -> KeyRow:
    return next(r for r in key_rows() if r.key == key)


@pytest.mark.parametrize(
    ("key", "dev", "prod"),
    [
        ("generator.resources.memoryRequest", "`384Mi`", "`384Mi`"),
        ("ollama.resources.cpuRequest", "`1`", "`1`"),
        ("ollama.resources.memoryLimit", "`8Gi`", "`8Gi`"),
        ("observability.prometheus.resources.memoryLimit", "`2Gi`", "`2Gi`"),
        ("observability.loki.resources.memoryRequest", "`256Mi`", "`256Mi`"),
        ("observability.grafana.resources.cpuRequest", "`50m`", "`50m`"),
        ("gateway.controller.replicas", "`1`", "`2`"),
        ("gateway.proxy.replicas", "`1`", "`2`"),
        ("generator.replicas", "`1`", "`2`"),
        ("gateway.tls", "`none`", "`selfSigned`"),
        ("cluster.kind", "`k3s`", "`aks`"),
        ("cluster.aks.systemPool.vmSize", NOT_USED, "`Standard_D4ds_v5`"),
        ("cluster.aks.systemPool.minCount", NOT_USED, "`2`"),
        ("cluster.k3s.host", "`localhost`", NOT_USED),
        ("cluster.aks.location", NOT_USED, "required, e.g. `westeurope`"),
        ("gateway.generatorHostname", "`generator.prompt2prod.localhost`", "required, e.g. `generator.example.com`"),
        ("cluster.aks.gpuPool", NOT_USED, "unset"),
        ("cluster.aks.gpuPool.vmSize", NOT_USED, "`Standard_NC4as_T4_v3`"),
        ("registry.inCluster.nodePort", "`30500`", NOT_USED),
    ],
)
def test_each_environment_shows_the_value_it_uses(key: str, dev: str, prod: str) -> None:
    assert row(key).cells == {"dev": dev, "prod": prod}


@pytest.mark.parametrize("environment", list(ENVIRONMENTS))
def test_the_smallest_stack_of_each_environment_is_valid(environment: Environment) -> None:
    assert effective_config(environment).platform.environment == environment


@pytest.mark.parametrize(
    ("environment", "key"), [(env, key) for env, rules in ENVIRONMENTS.items() for key in rules.required]
)
def test_each_key_marked_required_is_refused_when_left_out(environment: Environment, key: str) -> None:
    document = minimal_config(environment)
    *parents, leaf = key.split(".")
    node = document
    for part in parents:
        node = node[part]
    del node[leaf]

    with pytest.raises(ConfigError) as raised:
        load(document)

    assert any(problem.startswith(f"prompt2prod:{key}:") for problem in raised.value.problems), raised.value.problems


def test_every_kind_of_value_says_how_the_cli_sets_it() -> None:
    table = cli_table()
    for kind in ("text", "integer", "number", "boolean", "one of", "list of", "map of", "object or null"):
        assert f"| {kind} | `pulumi config set --path " in table


def test_a_prefix_table_lists_only_that_section() -> None:
    table = keys_table("cluster.k3s")
    keys = [line.split("`")[1] for line in table.splitlines()[2:]]
    assert keys == ["cluster.k3s.host", "cluster.k3s.sshUser", "cluster.k3s.sshPort", "cluster.k3s.version"]
    with pytest.raises(ValueError, match="no config key"):
        keys_table("cluster.k3")
