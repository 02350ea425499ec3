"""docs/configuration.md is generated from the models: a key added, renamed or re-documented in
`infra/config` without regenerating the page fails here, so the docs never lie about config keys."""

from __future__ import annotations

from infra.config.reference import reference
from tests.support import REPO


def test_docs_config_reference_matches_the_models() -> None:
    page = (REPO / "docs" / "configuration.md").read_text()
    assert reference() in page, (
        "docs/configuration.md is stale: run `.venv/bin/python -m infra.config.reference --write docs/configuration.md`"
    )


def test_reference_names_nested_and_secret_keys() -> None:
    text = reference()
    assert "| `prompt2prod:cluster.k3s.host` |" in text
    assert "| `prompt2prod:ollama.models` |" in text
    assert "| `prompt2prod:cloudLlmApiKey` |" in text
