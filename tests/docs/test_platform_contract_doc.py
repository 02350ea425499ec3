"""README's "Platform contract" section is generated from `infra/contract/`, the data the cross-layer tests use: a
flow, budget or Azure access changed without regenerating it fails here, so the README never states another contract
than the one `make test` checks."""

from __future__ import annotations

from infra.contract.markdown import rewrite, section
from tests.support import REPO


def test_readme_states_the_contract_the_tests_check() -> None:
    readme = (REPO / "README.md").read_text()
    assert section() in readme, "README.md is stale: run `.venv/bin/python -m infra.contract --write README.md`"
    assert rewrite(readme) == readme


def test_the_section_carries_the_derived_budgets() -> None:
    text = section()
    assert "| route timeout and stream idle timeout of the routes to the generator and Ollama | 245 s |" in text
    assert "| the generator pod's `terminationGracePeriodSeconds` | 255 s |" in text
