"""`prompt2prod:generator` rejects image pins and autoscaling targets that Kubernetes or a registry would not take."""

from __future__ import annotations

import json

import pytest

from infra.config import ConfigError, parse_config

DIGEST = "sha256:" + "a1" * 32


def _generator(values: dict[str, object]) -> dict[str, str]:
    return {"prompt2prod:environment": "dev", "prompt2prod:generator": json.dumps(values)}


def test_a_digest_pin_is_accepted() -> None:
    config = parse_config(_generator({"imageDigest": DIGEST}))
    assert config.platform.generator.image_digest == DIGEST


@pytest.mark.parametrize(
    "digest", ["sha256:abc", "SHA256:" + "A1" * 32, "sha512:" + "a1" * 32, "a1" * 32, DIGEST + "0"]
)
def test_a_malformed_digest_names_the_key(digest: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(_generator({"imageDigest": digest}))
    assert error.value.problems == [
        f"prompt2prod:generator.imageDigest: {digest!r} is not an image digest "
        "(sha256: followed by 64 lower-case hex digits)"
    ]


@pytest.mark.parametrize("target", [5, 101])
def test_cpu_target_outside_10_to_100_percent_is_rejected(target: int) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(_generator({"targetCpuUtilization": target}))
    assert error.value.problems[0].startswith("prompt2prod:generator.targetCpuUtilization: ")


def test_the_request_budget_defaults_to_240_seconds_and_bounds_one_llm_call() -> None:
    generator = parse_config(_generator({})).platform.generator
    assert (generator.request_timeout_seconds, generator.llm_timeout_seconds) == (240, 120)
    assert parse_config(_generator({"requestTimeoutSeconds": 90, "llmTimeoutSeconds": 90})).platform.generator


def test_an_llm_call_longer_than_the_request_names_the_key() -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(_generator({"requestTimeoutSeconds": 100, "llmTimeoutSeconds": 120}))
    assert error.value.problems == [
        "prompt2prod:generator.llmTimeoutSeconds: 120 is above generator.requestTimeoutSeconds 100: "
        "one backend call cannot outlast the request"
    ]
