"""docs/delivery.md's workflow and repository-settings tables match `.github/workflows/`.

A workflow added or removed, or a repository variable or secret a workflow starts reading, fails here until the
page lists it: the settings table is what someone configuring a fork follows.
"""

from __future__ import annotations

import re

from tests.support import REPO, WORKFLOWS


def section(title: str) -> str:
    text = (REPO / "docs" / "delivery.md").read_text()
    start = text.index(f"\n## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def first_cells(title: str) -> list[str]:
    return [line.split(" | ")[0].removeprefix("| ") for line in section(title).splitlines() if line.startswith("| ")][
        1:
    ]


def test_the_workflow_table_lists_every_workflow() -> None:
    documented = {cell.strip("`") for cell in first_cells("Workflows")}
    assert documented == {path.name for path in WORKFLOWS.glob("*.yml")}


def test_the_settings_table_lists_every_variable_and_secret_the_workflows_read() -> None:
    read = set()
    for path in WORKFLOWS.glob("*.yml"):
        read |= set(re.findall(r"\b(vars|secrets)\.([A-Z][A-Z0-9_]*)", path.read_text()))
    read.discard(("secrets", "GITHUB_TOKEN"))
    documented = set()
    for line in [line for line in section("Repository settings").splitlines() if line.startswith("| ")][1:]:
        kind, names = line.split(" | ")[:2]
        if kind.removeprefix("| ") in ("variable", "secret"):
            plural = "vars" if kind.endswith("variable") else "secrets"
            documented |= {(plural, name) for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", names)}
    assert documented == read
