"""`generator.imageDigest`, the key the main workflow sets to deploy the image it built by digest.

Guards the contract between `deploy-stack.yml` (`pulumi config set --path generator.imageDigest sha256:…`) and
the config: the digest a registry prints is accepted as is, and a malformed value fails at config load naming
the key, never reaching a Deployment as an unpullable image reference.
"""

from __future__ import annotations

import pytest

from infra.config import ConfigError, parse_config
from infra.config.generator import GeneratorConfig
from tests.support import WORKFLOWS, stack_input

DIGEST = "sha256:" + "0123456789abcdef" * 4


def generator_config(**generator: object) -> GeneratorConfig:
    given = stack_input("prod", {"generator": generator})
    return parse_config(given.values, given.secret_keys).platform.generator


def test_the_workflow_sets_the_key_the_config_reads() -> None:
    assert "--path generator.imageDigest" in (WORKFLOWS / "deploy-stack.yml").read_text()
    assert generator_config(imageDigest=DIGEST).image_digest == DIGEST


@pytest.mark.parametrize(
    "digest", ["sha256:abc", "0123456789abcdef" * 4, "sha256:" + "0123456789ABCDEF" * 4, "sha512:" + "ab" * 64]
)
def test_a_malformed_digest_is_refused_naming_the_key(digest: str) -> None:
    with pytest.raises(ConfigError, match=r"prompt2prod:generator\.imageDigest: .*is not an image digest"):
        generator_config(imageDigest=digest)
