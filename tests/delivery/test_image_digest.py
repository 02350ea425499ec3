"""`generator.imageDigest`: the main workflow deploys the image it built by digest, and a bad digest is refused.

Guards the deploy-by-digest promise: a malformed value from CI must fail at config load naming the key, never
reach a Deployment as an unpullable image reference.
"""

from __future__ import annotations

import pytest

from infra.config import ConfigError, parse_config
from infra.config.generator import GeneratorConfig
from tests.support import stack_input

DIGEST = "sha256:" + "0123456789abcdef" * 4


def generator_config(**generator: object) -> GeneratorConfig:
    given = stack_input("prod", {"generator": generator})
    return parse_config(given.values, given.secret_keys).platform.generator


def test_a_digest_makes_the_image_reference_immutable() -> None:
    config = generator_config(imageRepository="acrprompt2prod.azurecr.io/prompt2prod-generator", imageDigest=DIGEST)
    assert config.image_reference("unused") == f"acrprompt2prod.azurecr.io/prompt2prod-generator@{DIGEST}"


def test_without_a_digest_the_tag_is_used_with_the_default_repository() -> None:
    assert generator_config().image_reference("registry.example.com/prompt2prod-generator") == (
        "registry.example.com/prompt2prod-generator:0.1.0"
    )


@pytest.mark.parametrize(
    "digest", ["sha256:abc", "0123456789abcdef" * 4, "sha256:" + "0123456789ABCDEF" * 4, "sha512:" + "ab" * 64]
)
def test_a_malformed_digest_is_refused_naming_the_key(digest: str) -> None:
    with pytest.raises(ConfigError, match=r"prompt2prod:generator\.imageDigest: .*is not an image digest"):
        generator_config(imageDigest=digest)
