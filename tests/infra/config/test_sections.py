"""Every config section, at every depth, refuses a key it does not know, naming it; and an empty model list is
refused at `ollama.models`.

Guards the silent misconfiguration: `ollama.gpu: {enable: true}` (for `enabled`) accepted and ignored would mean
no GPU and no error. The sections are found by walking the model tree, so a section added later is covered, as
is one that stops inheriting the strict base (`extra="forbid"`).
"""

from __future__ import annotations

import pytest

from infra.config.environments import ENVIRONMENTS, Environment, minimal_config
from infra.config.reference import key_rows
from tests.support.config import problems_for, set_path

TYPO = "enable"
"""Not a key of any section: the typo of `enabled` from the example above."""


def sections() -> list[str]:
    """The path of every object in the config tree that holds keys (`ollama`, `ollama.gpu`, `cluster.aks.gpuPool`)."""
    return sorted({row.key.rsplit(".", 1)[0] for row in key_rows() if "." in row.key})


def test_the_walk_reaches_nested_and_optional_sections() -> None:
    found = sections()
    assert {"ollama.gpu", "cluster.aks.gpuPool", "cluster.aks.systemPool", "generator.cloud"} <= set(found)
    assert len(found) >= 20, found


@pytest.mark.parametrize("environment", list(ENVIRONMENTS))
def test_every_section_refuses_an_unknown_key_naming_it(environment: Environment) -> None:
    silent = []
    for section in sections():
        document = minimal_config(environment)
        set_path(document, f"{section}.{TYPO}", True)
        problems = problems_for(document) or []
        if not any(p.startswith(f"prompt2prod:{section}.{TYPO}: unknown key") for p in problems):
            silent.append(f"{section}: {problems or 'accepted'}")
    assert not silent, "\n".join(silent)


@pytest.mark.parametrize("environment", list(ENVIRONMENTS))
def test_an_empty_model_list_is_refused_at_ollama_models(environment: Environment) -> None:
    document = minimal_config(environment)
    set_path(document, "ollama.models", [])
    problems = problems_for(document)
    assert problems is not None
    assert any(p.startswith("prompt2prod:ollama.models: ") for p in problems), problems
