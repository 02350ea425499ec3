"""Deterministic deployment scaffolding, added by detected language where the model did not write it.

Python and Node projects get a non-root Dockerfile listening on port 8080, Kubernetes manifests under `deploy/`
(`app/deploy_scaffold.py`), a CI workflow that lints, tests, builds and deploys (`app/ci_workflow.py`), a README and
a test skeleton; any other project gets a README and a generic CI workflow. The CI workflow and the manifests are
always the service's (`parse_answer` keeps the model out of `.github/workflows/` and `deploy/`); otherwise a file
the model wrote is never replaced, and scaffolding that would clash with one of its files or folders is left out.
"""

import json
from collections.abc import Callable
from typing import Literal

from app.ci_workflow import DEPLOY_SECRETS, ENVIRONMENT, ci_workflow, deploys_from_the_node
from app.deploy_scaffold import APPS_PORT, RUN_AS, app_url, deploy_manifests, image_repository, project_name
from app.paths import CI_WORKFLOW, PathSet
from app.project import ProjectFile, project_paths
from app.settings import Settings

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


# The image's health as Kubernetes probes it (deploy/deployment.yaml): something accepts connections on PORT. With the
# interpreter the image already has, no curl.
_PYTHON_PORT_OPEN = (
    "import os, socket; socket.create_connection(('127.0.0.1', int(os.environ.get('PORT', '8080'))), timeout=3).close()"
)
_NODE_PORT_OPEN = (
    "require('net').connect(Number(process.env.PORT || 8080), '127.0.0.1')"
    ".on('connect', () => process.exit(0)).on('error', () => process.exit(1))"
)


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
        f"ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PORT={APPS_PORT}\n"
        "WORKDIR /app\n"
        f"RUN useradd --create-home --uid {RUN_AS} app\n"
        f"{install}"
        "COPY . .\n"
        f"USER {RUN_AS}\n"
        f"EXPOSE {APPS_PORT}\n"
        f"HEALTHCHECK CMD {json.dumps(['python', '-c', _PYTHON_PORT_OPEN])}\n"
        f"CMD {cmd}\n"
    )


def _node_dockerfile(paths: set[str]) -> str:
    install = "npm ci --omit=dev" if "package-lock.json" in paths else "npm install --omit=dev"
    # The UID the pod runs as (the image's own `node` user is 1000, below what restricted clusters expect).
    return (
        "FROM node:22-slim\n"
        f"ENV NODE_ENV=production PORT={APPS_PORT}\n"
        "WORKDIR /app\n"
        "COPY package*.json ./\n"
        f"RUN {install}\n"
        "COPY . .\n"
        f"USER {RUN_AS}\n"
        f"EXPOSE {APPS_PORT}\n"
        f"HEALTHCHECK CMD {json.dumps(['node', '-e', _NODE_PORT_OPEN])}\n"
        'CMD ["npm", "start"]\n'
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


def _node_package(paths: set[str], project: str) -> str:
    entry = next((p for p in ("index.js", "server.js", "app.js", "src/index.js") if p in paths), "index.js")
    package = {
        "name": project,
        "version": "0.1.0",
        "private": True,
        "main": entry,
        "scripts": {"start": f"node {entry}", "test": "node --test"},
    }
    return json.dumps(package, indent=2) + "\n"


def _deployment_readme(project: str, settings: Settings) -> str:
    secrets = "\n".join(f"- `{name}`" for name in DEPLOY_SECRETS)
    return (
        "\n## Deployment\n\n"
        f"The app serves HTTP on `0.0.0.0` at the port in `PORT` ({APPS_PORT}, set by the Dockerfile and the\n"
        "Deployment). Kubernetes probes that port over TCP, so any server listening there counts as healthy;\n"
        "serving `GET /health` with 200 as well is recommended (then switch the probes in\n"
        "`deploy/deployment.yaml` to `httpGet` on it). The root filesystem is read-only: write only under `/tmp`.\n\n"
        f"`deploy/` holds the Kubernetes manifests: a Deployment, a Service (port {APPS_PORT}, `http`), an\n"
        f"HTTPRoute serving `{app_url(project, settings)}` through the platform's gateway, and a\n"
        "NetworkPolicy (ingress only from the gateway, egress only to the cluster DNS; add rules there for\n"
        f"anything else the app calls). Everything runs in the namespace `{settings.apps_namespace}`.\n\n"
        "On every push to the default branch, once lint and tests pass, the `deploy` job of\n"
        f"`.github/workflows/ci.yml` builds the image, pushes it to `{image_repository(project, settings)}`,\n"
        "applies `deploy/` with the image set to the pushed digest and waits for the rollout. It reads these\n"
        f"secrets of the GitHub environment `{ENVIRONMENT}` (Settings, Environments; allow only the default\n"
        "branch to deploy to it):\n\n"
        f"{secrets}\n\n"
        "`REGISTRY_USERNAME` and `REGISTRY_PASSWORD` may be left unset for a registry that takes anonymous\n"
        "pushes. `KUBE_CONFIG` is a kubeconfig whose user may only get, list, watch, create and patch\n"
        f"Deployments, Services, HTTPRoutes and NetworkPolicies in `{settings.apps_namespace}`.\n"
    )


def _runner_readme(settings: Settings) -> str:
    if not deploys_from_the_node(settings):
        return ""
    return (
        f"\nThe registry (`{settings.registry_server}`) is on the cluster node's loopback: the deploy job runs on a\n"
        "self-hosted runner registered on that node.\n"
    )


def _readme(summary: str, language: Language, project: str, settings: Settings) -> str:
    run = {
        "python": "pip install -r requirements.txt  # or: pip install .\npytest",
        "node": "npm install\nnpm test\nnpm start",
        "unknown": "See the source files.",
    }[language]
    container = f"docker run --rm -p {APPS_PORT}:{APPS_PORT} app" if language != "unknown" else "docker run --rm app"
    readme = (
        "# Generated project\n\n"
        f"{summary or 'Generated by Prompt2Prod.'}\n\n"
        "## Run\n\n```bash\n"
        f"{run}\n```\n\n"
        f"## Container\n\n```bash\ndocker build -t app .\n{container}\n```\n"
    )
    if language != "unknown":
        readme += _deployment_readme(project, settings) + _runner_readme(settings)
    return readme


def _has_tests(paths: set[str], language: Language) -> bool:
    if language == "python":
        return any(p.startswith("tests/") or p.rsplit("/", 1)[-1].startswith("test_") for p in paths)
    return any(p.startswith(("test/", "tests/", "__tests__/")) or ".test." in p for p in paths)


def scaffold(
    files: list[ProjectFile],
    summary: str,
    taken: PathSet | None = None,
    *,
    settings: Settings,
    project: str | None = None,
) -> tuple[list[ProjectFile], Language, list[str]]:
    """The project with the missing scaffolding appended, its language and the paths that were added.

    `taken`: the paths of `files` as `parse_answer` claimed them (recomputed when not given). `settings`: where the
    platform deploys (registry, gateway, apps domain and namespace). `project`: the deployment's name, a valid DNS
    label (`dns_label`); derived from the files when not given (`project_name`).
    """
    paths = {item.path for item in files}
    language = detect_language(paths)
    name = project or project_name(files)
    wanted: list[tuple[str, Callable[[], str]]] = [("README.md", lambda: _readme(summary, language, name, settings))]
    if language == "python":
        wanted.append(("Dockerfile", lambda: _python_dockerfile(paths)))
        if not _has_tests(paths, language):
            wanted.append(("tests/test_smoke.py", lambda: _PYTHON_TEST))
    elif language == "node":
        wanted += [
            ("Dockerfile", lambda: _node_dockerfile(paths)),
            ("package.json", lambda: _node_package(paths, name)),
        ]
        if not _has_tests(paths, language):
            wanted.append(("test/smoke.test.js", lambda: _NODE_TEST))
    wanted.append((CI_WORKFLOW, lambda: ci_workflow(language, name, settings)))
    if taken is None:
        taken = project_paths()
        for item in files:
            taken.claim(item.path)
    added: list[ProjectFile] = []
    for path, render in wanted:
        # The workflow's path was claimed for it from the start.
        if path == CI_WORKFLOW or taken.claim(path) is None:
            added.append(ProjectFile(path, render()))
    if language != "unknown":  # their paths too
        added += [ProjectFile(path, text) for path, text in deploy_manifests(name, settings).items()]
    return files + added, language, [item.path for item in added]
