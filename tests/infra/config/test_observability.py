"""`prompt2prod:observability` rejects retention and sizes that cannot work, naming the key."""

from __future__ import annotations

import pytest

from infra.config import ConfigError, parse_config
from infra.config.observability import size_bytes
from tests.support import stack_input


def _problems(observability: dict[str, object]) -> list[str]:
    given = stack_input("dev", {"observability": observability})
    with pytest.raises(ConfigError) as error:
        parse_config(given.values, given.secret_keys)
    return error.value.problems


def test_size_retention_must_fit_the_volume() -> None:
    problems = _problems({"prometheus": {"retentionSize": "10GB", "storageSize": "10Gi"}})
    assert problems == [
        "prompt2prod:observability.prometheus: retentionSize 10GB does not leave 10% of storageSize 10Gi free"
    ]


def test_loki_retention_is_whole_days() -> None:
    (problem,) = _problems({"loki": {"retention": "36h"}})
    assert problem.startswith("prompt2prod:observability.loki.retention: '36h' must be a whole number of days")


def test_bad_values_are_all_reported_with_their_keys() -> None:
    problems = _problems({"prometheus": {"retention": "15 days"}, "llmLatencySloSeconds": {"local": 0}, "typo": 1})
    assert any(p.startswith("prompt2prod:observability.prometheus.retention:") for p in problems)
    assert any(p.startswith("prompt2prod:observability.llmLatencySloSeconds.local:") for p in problems)
    assert "prompt2prod:observability.typo: unknown key" in problems


def test_size_bytes_reads_decimal_units() -> None:
    assert size_bytes("8GB") == 8 * 10**9
    with pytest.raises(ValueError, match="not a size"):
        size_bytes("8GiB")
