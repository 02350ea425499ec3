"""What the README and docs/ name exists: files and folders, links and their anchors, `make` targets, `python -m`
modules, config keys and models. Each page says at its top how it is kept true.

Guards pages that drift from the code they describe: a renamed module, a removed make target, a config key
documented under its old name, a broken relative link (docs/outputs.md linked the schema as if it sat in
docs/), a request example with a model Ollama would read as `:latest`, or a reference to a design document or an
issue number that means nothing to someone reading this repository.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from infra.config.ollama import OllamaConfig
from infra.config.reference import key_rows
from tests.support import REPO
from tools.docs import pages

PAGES = pages()
IDS = [str(page.relative_to(REPO)) for page in PAGES]
CODE_SPAN = re.compile(r"`([^`\n]+)`")
FENCE = re.compile(r"```[a-z]*\n(.*?)```", re.DOTALL)
LINK = re.compile(r"\]\((?!https?://|mailto:)([^)\s]+)\)")
HEADING = re.compile(r"^#+ (.+)$", re.MULTILINE)
REPO_PATH = re.compile(
    r"^(?:app|infra|stacks|policy|tools|tests|bench|schema|docs|\.github|\.ci)(?:/[\w.-]+)*/?$"
    r"|^(?:Pulumi(?:\.\w+)?\.yaml|Makefile|uv\.lock|pyproject\.toml|\.pulumi\.version|__main__\.py)$"
)
MAKE = re.compile(r"(?:^|&&|;)\s*make ([a-z][a-z-]*)", re.MULTILINE)
PYTHON_M = re.compile(r"python3? -m ([a-z_][\w.]*)")
SECTIONS = ("cluster", "registry", "secretStore", "ollama", "gateway", "observability", "generator")
CONFIG_KEY = re.compile(rf"^(?:prompt2prod:)?((?:{'|'.join(SECTIONS)})(?:\.[A-Za-z][A-Za-z0-9]*)+)(?:\[\d+\])?$")
NOT_A_KEY = re.compile(r"\.(?:io|com|dev|py|yaml|yml|json|md|txt|sh|svc|local|localhost)$|\.k8s\.")
# Files of the projects the generator service writes, not of this repository.
GENERATED_PROJECT_FILES = {".github/workflows/ci.yml"}
MODEL_IN_REQUEST = re.compile(r'"model":\s*"([^"]+)"')


def spans(text: str) -> list[str]:
    """Code spans, and the words of code blocks."""
    return CODE_SPAN.findall(text) + [word for block in FENCE.findall(text) for word in block.split()]


def code(text: str) -> str:
    """Code spans and code blocks: where commands are written."""
    return "\n".join(CODE_SPAN.findall(text) + FENCE.findall(text))


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize(
    "page", [p for p in PAGES if p.parent.name == "docs"], ids=[i for i in IDS if i.startswith("docs/")]
)
def test_each_page_says_how_it_is_kept_true(page: Path) -> None:
    head = page.read_text().split("\n\n")[1]
    assert head.startswith("> **How this page stays true.**"), f"{page.name}: start with how it stays true"


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_relative_links_and_their_anchors_resolve(page: Path) -> None:
    broken = []
    for target in LINK.findall(page.read_text()):
        path, _, fragment = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(target)
        elif fragment and file.suffix == ".md":
            anchors = {anchor(h) for h in HEADING.findall(file.read_text())}
            if fragment not in anchors:
                broken.append(target)
    assert not broken, f"{page.name}: broken links {broken}"


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_named_files_and_folders_exist(page: Path) -> None:
    named = {span for span in CODE_SPAN.findall(page.read_text()) if REPO_PATH.match(span)}
    named -= GENERATED_PROJECT_FILES
    missing = sorted(name for name in named if "<" not in name and "*" not in name and not (REPO / name).exists())
    assert not missing, f"{page.name} names files that do not exist: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_make_targets_and_modules_exist(page: Path) -> None:
    text = code(page.read_text())
    makefile = (REPO / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.MULTILINE))
    unknown_targets = sorted(set(MAKE.findall(text)) - targets)
    assert not unknown_targets, f"{page.name}: no such make target {unknown_targets}"
    modules = set(PYTHON_M.findall(text))
    missing = sorted(m for m in modules if importlib.util.find_spec(m) is None)
    assert not missing, f"{page.name}: no such module {missing}"


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_named_config_keys_exist(page: Path) -> None:
    keys = {row.key for row in key_rows()}
    sections = {key.rsplit(".", 1)[0] for key in keys} | {key.split(".", 1)[0] for key in keys}
    unknown = set()
    for span in spans(page.read_text()):
        match = CONFIG_KEY.match(span)
        if match and not NOT_A_KEY.search(span) and match[1] not in keys | sections:
            unknown.add(span)
    assert not unknown, f"{page.name} names config keys that do not exist: {sorted(unknown)}"


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_request_examples_name_models_the_platform_serves(page: Path) -> None:
    served = set(OllamaConfig().models)
    for block in FENCE.findall(page.read_text()):
        for model in MODEL_IN_REQUEST.findall(block):
            assert ":" in model, f"{page.name}: {model!r} means {model}:latest to Ollama; give its tag"
            assert model in served, f"{page.name}: the example asks for {model}, which the preload does not pull"


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_no_references_that_mean_nothing_here(page: Path) -> None:
    found = re.findall(r"DESIGN(?: §?\d[\d.]*)?|\b[Ii]ssues? #?\d+", page.read_text())
    assert not found, f"{page.name} cites {found}: refer to a page, a file or a test instead"


def test_no_code_cites_a_design_section_or_an_issue_number() -> None:
    """Code and tests too: a reader of this repository has no DESIGN document and no issue tracker."""
    roots = ["app", "infra", "stacks", "policy", "tools", "bench", "tests"]
    offenders = []
    for root in roots:
        for path in sorted((REPO / root).rglob("*.py")):
            if path == Path(__file__):
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if re.search(r"DESIGN(?: §?\d)|\b[Ii]ssues? #?\d+", line):
                    offenders.append(f"{path.relative_to(REPO)}:{number}")
    assert not offenders, offenders
