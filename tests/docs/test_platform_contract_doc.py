"""README's "Platform contract" section is generated from `infra/contract/`, the data the cross-layer tests use: a
flow, budget or Azure access changed without `make docs` fails here, so the README never states another contract
than the one `make test` checks."""

from __future__ import annotations

from infra.contract.markdown import section
from tests.support import REPO
from tools.docs import BLOCK, regenerate


def test_readme_states_the_contract_the_tests_check() -> None:
    readme = (REPO / "README.md").read_text()
    blocks = [match for match in BLOCK.finditer(readme) if match["name"] == "platform-contract"]
    assert len(blocks) == 1, "README.md has no `platform-contract` generated block"
    assert blocks[0]["body"] == section(), "README.md is stale: run `make docs`"
    assert regenerate(readme) == readme


def test_the_section_carries_the_derived_budgets() -> None:
    text = section()
    assert "| route timeout and stream idle timeout of the routes to the generator and Ollama | 245 s |" in text
    assert "| the generator pod's `terminationGracePeriodSeconds` | 255 s |" in text
