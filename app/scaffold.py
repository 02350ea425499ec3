"""Deterministic deployment scaffolding, added by detected language where the model did not write it.

Python and Node projects get a non-root Dockerfile, a CI workflow (lint, test, build), a README and a test
skeleton; any other project gets a README and a generic CI workflow. The least-privilege CI workflow is always
there (`parse_answer` keeps the model out of `.github/workflows/`); otherwise a file the model wrote is never
replaced, and scaffolding that would clash with one of its files or folders is left out.
"""

import json
from collections.abc import Callable
from typing import Literal

from app.paths import CI_WORKFLOW, PathSet
from app.project import ProjectFile, project_paths

Language = Literal["python", "node", "unknown"]

_PY_MARKERS = frozenset({"pyproject.toml", "requirements.txt", "setup.py", "setup.cfg"})
_NODE_MARKERS = frozenset({"package.json"})


def detect_language(paths: set[str]) -> Language:
    names = {path.rsplit("/", 1)[-1] for path in paths}
    python = sum(path.endswith(".py") for path in paths) + 10 * len(names & _PY_MARKERS)
    node = sum(path.endswith((".js", ".mjs", ".cjs", ".ts")) for path in paths) + 10 * len(names & _NODE_MARKERS)
    if python == node == 0:
        return "unknown"
    return "python" if python >= node else "node"


def _python_entry(paths: set[str]) -> list[str]:
    for candidate in ("main.py", "app.py", "src/main.py", "app/main.py"):
        if candidate in paths:
            return ["python", candidate]
    first = sorted(path for path in paths if path.endswith(".py") and not path.startswith("tests/"))
    return ["python", first[0]] if first else ["python", "-c", "print('no entry point')"]


def _python_dockerfile(paths: set[str]) -> str:
    if "requirements.txt" in paths:
        install = "COPY requirements.txt ./\nRUN pip install --no-cache-dir -r requirements.txt\n"
    elif "pyproject.toml" in paths:
        install = "COPY pyproject.toml ./\nCOPY . .\nRUN pip install --no-cache-dir .\n"
    else:
        install = ""
    # Exec form is a JSON array: json.dumps quotes whatever the model named its entry point.
    cmd = json.dumps(_python_entry(paths))
    return (
        "FROM python:3.11-slim\n"
        "ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1\n"
        "WORKDIR /app\n"
        "RUN useradd --create-home --uid 10001 app\n"
        f"{install}"
        "COPY . .\n"
        "USER 10001\n"
        f"CMD {cmd}\n"
    )


def _node_dockerfile(paths: set[str]) -> str:
    install = "npm ci --omit=dev" if "package-lock.json" in paths else "npm install --omit=dev"
    return (
        "FROM node:22-slim\n"
        "ENV NODE_ENV=production\n"
        "WORKDIR /app\n"
        "COPY package*.json ./\n"
        f"RUN {install}\n"
        "COPY . .\n"
        # The official image's `node` user, by number: a name may not resolve where the image runs.
        "USER 1000\n"
        'CMD ["npm", "start"]\n'
    )


# Every scaffolded workflow: read-only token, checkout without persisted credentials, then the steps.
_CI_HEAD = """name: ci
on:
  push:
  pull_request:
permissions:
  contents: read
jobs:
  lint-test-build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
        with:
          persist-credentials: false
"""

_PYTHON_CI = (
    _CI_HEAD
    + """      - uses: actions/setup-python@5fda3b95a4ea91299a34e894583c3862153e4b97 # v7.0.0
        with:
          python-version: "3.11"
      - name: Install
        run: |
          python -m pip install ruff pytest
          if [ -f requirements.txt ]; then pip install -r requirements.txt; fi
          if [ -f pyproject.toml ]; then pip install .; fi
      - name: Lint
        run: ruff check .
      - name: Test
        run: pytest
      - name: Build image
        run: docker build -t app:ci .
"""
)

_NODE_CI = (
    _CI_HEAD
    + """      - uses: actions/setup-node@820762786026740c76f36085b0efc47a31fe5020 # v7.0.0
        with:
          node-version: "22"
      - name: Install
        run: if [ -f package-lock.json ]; then npm ci; else npm install; fi
      - name: Lint
        run: npm run lint --if-present
      - name: Test
        run: npm test
      - name: Build image
        run: docker build -t app:ci .
"""
)

_GENERIC_CI = (
    _CI_HEAD
    + """      - name: Test
        run: if [ -f Makefile ]; then make test; else echo "no Makefile: add the project's test command"; fi
      - name: Build image
        run: if [ -f Dockerfile ]; then docker build -t app:ci .; fi
"""
)

_PYTHON_TEST = '''"""Smoke test added by Prompt2Prod: every Python file in the project compiles."""

import compileall
import pathlib


def test_every_python_file_compiles() -> None:
    root = pathlib.Path(__file__).resolve().parent.parent
    assert compileall.compile_dir(root, quiet=1, force=True, legacy=False)
'''

_NODE_TEST = """// Smoke test added by Prompt2Prod: the package manifest is valid and names an entry point.
const test = require("node:test");
const assert = require("node:assert");
const fs = require("node:fs");
const path = require("node:path");

test("package.json is valid and has a start script or main", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8"));
  assert.ok(pkg.main || (pkg.scripts && pkg.scripts.start));
});
"""


def _node_package(paths: set[str]) -> str:
    entry = next((p for p in ("index.js", "server.js", "app.js", "src/index.js") if p in paths), "index.js")
    return (
        '{\n  "name": "generated-project",\n  "version": "0.1.0",\n  "private": true,\n'
        f'  "main": "{entry}",\n'
        f'  "scripts": {{\n    "start": "node {entry}",\n    "test": "node --test"\n  }}\n}}\n'
    )


def _readme(summary: str, language: Language) -> str:
    run = {
        "python": "pip install -r requirements.txt  # or: pip install .\npytest",
        "node": "npm install\nnpm test\nnpm start",
        "unknown": "See the source files.",
    }[language]
    return (
        "# Generated project\n\n"
        f"{summary or 'Generated by Prompt2Prod.'}\n\n"
        "## Run\n\n```bash\n"
        f"{run}\n```\n\n"
        "## Container\n\n```bash\ndocker build -t app .\ndocker run --rm app\n```\n"
    )


def _has_tests(paths: set[str], language: Language) -> bool:
    if language == "python":
        return any(p.startswith("tests/") or p.rsplit("/", 1)[-1].startswith("test_") for p in paths)
    return any(p.startswith(("test/", "tests/", "__tests__/")) or ".test." in p for p in paths)


def scaffold(
    files: list[ProjectFile], summary: str, taken: PathSet | None = None
) -> tuple[list[ProjectFile], Language, list[str]]:
    """The project with the missing scaffolding appended, its language and the paths that were added.

    `taken`: the paths of `files` as `parse_answer` claimed them (recomputed when not given).
    """
    paths = {item.path for item in files}
    language = detect_language(paths)
    wanted: list[tuple[str, Callable[[], str]]] = [("README.md", lambda: _readme(summary, language))]
    if language == "python":
        wanted += [
            ("Dockerfile", lambda: _python_dockerfile(paths)),
            (CI_WORKFLOW, lambda: _PYTHON_CI),
        ]
        if not _has_tests(paths, language):
            wanted.append(("tests/test_smoke.py", lambda: _PYTHON_TEST))
    elif language == "node":
        wanted += [
            ("Dockerfile", lambda: _node_dockerfile(paths)),
            (CI_WORKFLOW, lambda: _NODE_CI),
            ("package.json", lambda: _node_package(paths)),
        ]
        if not _has_tests(paths, language):
            wanted.append(("test/smoke.test.js", lambda: _NODE_TEST))
    else:
        wanted.append((CI_WORKFLOW, lambda: _GENERIC_CI))
    if taken is None:
        taken = project_paths()
        for item in files:
            taken.claim(item.path)
    added: list[ProjectFile] = []
    for path, render in wanted:
        # The CI workflow's path was claimed for it from the start.
        if path == CI_WORKFLOW or taken.claim(path) is None:
            added.append(ProjectFile(path, render()))
    return files + added, language, [item.path for item in added]
