"""Every key set the way Pulumi users set keys, `pulumi config set --path KEY VALUE`, is accepted and read back
as the value they typed; real mistakes are still refused, naming the key.

Guards the wall users hit: the CLI stores only `true`/`false` and integers as typed values and everything else as
text, so `sloAvailabilityTarget 0.995` arrived as "0.995" ("Input should be a valid number"), a zone `1` as the
integer 1 ("Input should be '1', '2' or '3'") and a CPU limit `2` as the integer 2.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from infra.config import ConfigError, StackConfig
from infra.config.environments import ENVIRONMENTS, Environment, minimal_config
from infra.config.reference import key_rows
from tests.support.config import load, set_path

_ATOI = re.compile(r"^[+-]?\d+$")


def cli_stored(text: str) -> Any:
    """What `pulumi config set --path KEY TEXT` stores (pulumi/pulumi sdk/go/common/resource/config, adjustObjectValue):
    `true`/`false` as booleans, text with a leading zero as text, whatever strconv.Atoi takes as an integer."""
    if text in ("true", "false"):
        return text == "true"
    if len(text) > 1 and text[0] == "0":
        return text
    return int(text) if _ATOI.match(text) else text


def typed(value: Any) -> str:
    """The text a user types for `value` (a value as the config model dumps it)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def value_at(config: StackConfig, key: str) -> Any:
    node: Any = config.platform.model_dump(mode="json", by_alias=True)
    for part in key.split("."):
        node = node[part]
    return node


def settable_keys(environment: Environment) -> list[tuple[str, Any]]:
    """Every key with a value in `environment`'s smallest stack (lists item by item), and that value."""
    effective = load(minimal_config(environment))
    found = []
    for row in key_rows():
        if row.type == "object or null" or row.key == "environment":
            continue
        try:
            value = value_at(effective, row.key)
        except (KeyError, TypeError):
            continue  # a key of an object that is unset in this environment
        if value is not None and value != {}:
            found.append((row.key, value))
    return found


@pytest.mark.parametrize("environment", list(ENVIRONMENTS))
def test_every_key_set_with_the_cli_reads_back_as_typed(environment: Environment) -> None:
    keys = settable_keys(environment)
    assert len(keys) > 60
    failures = []
    for key, value in keys:
        document = minimal_config(environment)
        if isinstance(value, list):
            set_path(document, key, [])
            for index, item in enumerate(value):
                set_path(document, f"{key}[{index}]", cli_stored(typed(item)))
        else:
            set_path(document, key, cli_stored(typed(value)))
        try:
            read = value_at(load(document), key)
        except ConfigError as error:
            failures.append(f"{key} = {value!r}: {error.problems}")
            continue
        if read != value:
            failures.append(f"{key}: set {value!r}, read {read!r}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("key", "stored", "expected"),
    [
        ("observability.sloAvailabilityTarget", "0.995", 0.995),
        ("observability.sloAvailabilityTarget", 0.995, 0.995),  # `--type float`
        ("observability.latencySloSeconds", 2, 2.0),
        ("generator.llmTimeoutSeconds", "90.5", 90.5),
        ("generator.replicas", "3", 3),
        ("ollama.pruneModels", "true", True),
        ("ollama.keepAlive", -1, "-1"),
        ("generator.resources.cpuLimit", 2, "2"),
        ("generator.imageTag", 7, "7"),
        ("cluster.aks.maintenanceWindow.startHour", "03", 3),
    ],
)
def test_values_in_the_shape_the_cli_writes_them(key: str, stored: Any, expected: Any) -> None:
    document = minimal_config("prod")
    set_path(document, key, stored)
    assert value_at(load(document), key) == expected


def test_zones_written_as_integers_are_the_zones() -> None:
    document = minimal_config("prod")
    set_path(document, "cluster.aks.systemPool.zones[0]", 1)
    set_path(document, "cluster.aks.systemPool.zones[1]", 2)
    assert load(document).platform.cluster.aks.system_pool.zones == ["1", "2"]


@pytest.mark.parametrize(
    ("key", "stored", "expected"),
    [
        ("generator.replicas", True, "prompt2prod:generator.replicas: Input should be a valid integer"),
        ("generator.replicas", 2.5, "prompt2prod:generator.replicas: Input should be a valid integer"),
        ("generator.replicas", "three", "prompt2prod:generator.replicas: Input should be a valid integer"),
        ("ollama.pruneModels", "yes", "prompt2prod:ollama.pruneModels: expected true or false, got 'yes'"),
        ("ollama.pruneModels", 1, "prompt2prod:ollama.pruneModels: expected true or false, got 1"),
        ("observability.sloAvailabilityTarget", "nan", "prompt2prod:observability.sloAvailabilityTarget:"),
        ("observability.sloAvailabilityTarget", True, "prompt2prod:observability.sloAvailabilityTarget:"),
        ("cluster.aks.systemPool.zones", [4], "prompt2prod:cluster.aks.systemPool.zones[0]:"),
        ("cluster.aks.dnsServiceIp", 167772170, "prompt2prod:cluster.aks.dnsServiceIp: expected text"),
        ("registry.acr.allowedIpRanges", [10], "prompt2prod:registry.acr.allowedIpRanges[0]: expected text"),
        (
            "cluster.aks.kubernetesVersion",
            1.3,
            "prompt2prod:cluster.aks.kubernetesVersion: expected text, got the number 1.3: quote it",
        ),
        ("generator.imageTag", False, "prompt2prod:generator.imageTag: expected text, got the boolean false"),
    ],
)
def test_real_mistakes_are_still_refused_naming_the_key(key: str, stored: Any, expected: str) -> None:
    document = minimal_config("prod")
    set_path(document, key, stored)
    with pytest.raises(ConfigError) as raised:
        load(document)
    assert any(problem.startswith(expected) for problem in raised.value.problems), raised.value.problems


def test_setting_one_key_of_a_section_keeps_the_sections_other_values() -> None:
    """`generator.resources.cpuLimit` alone once dropped memoryRequest from the generator's 384Mi to the class
    default 128Mi, and `systemPool.maxCount` alone made vmSize and minCount required."""
    document = minimal_config("prod")
    set_path(document, "generator.resources.cpuLimit", 2)
    set_path(document, "ollama.resources.cpuLimit", 8)
    set_path(document, "cluster.aks.systemPool.maxCount", 4)

    platform = load(document).platform

    assert platform.generator.resources.memory_request == "384Mi"
    assert platform.ollama.resources.memory_request == "4Gi"
    assert (platform.cluster.aks.system_pool.vm_size, platform.cluster.aks.system_pool.min_count) == (
        "Standard_D4ds_v5",
        2,
    )
