"""README's configuration reference is generated from the models: a key added, renamed or re-documented in
`infra/config` without regenerating README.md fails here, so the README never lies about config keys."""

from __future__ import annotations

from infra.config.reference import reference
from tests.support import REPO


def test_readme_config_reference_matches_the_models() -> None:
    readme = (REPO / "README.md").read_text()
    assert reference() in readme, (
        "README.md's configuration reference is stale: "
        "run `.venv/bin/python -m infra.config.reference --write README.md`"
    )


def test_reference_names_nested_and_secret_keys() -> None:
    text = reference()
    assert "| `prompt2prod:cluster.k3s.host` |" in text
    assert "| `prompt2prod:ollama.models` |" in text
    assert "| `prompt2prod:cloudLlmApiKey` |" in text
