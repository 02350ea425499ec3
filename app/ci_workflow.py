"""The CI workflow of a generated project (`.github/workflows/ci.yml`), built as data and written as YAML.

Every project gets `lint-test-build` on each push and pull request. A Python or Node project also gets `deploy`, on a
push to the default branch once `lint-test-build` passed: it builds the image, pushes it to the platform's registry,
applies `deploy/` with the image set to the digest it pushed, and waits for the rollout.

Least privilege throughout: no permission at the top, `contents: read` per job; actions pinned by commit SHA (the
same commits this repository's own workflows use, where it uses the action); checkout keeps no credentials; the
registry and cluster credentials are secrets of the GitHub environment `ENVIRONMENT`, which the deploy job alone
names; no `${{ }}` expression inside a `run:` script (values reach scripts as environment variables).
"""

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final, Literal

from app.deploy_scaffold import (
    CONTAINER,
    SCAFFOLD_CACHE_SIZE,
    app_url,
    hosting_key,
    hosting_settings,
    image_repository,
)
from app.paths import DEPLOY_FOLDER
from app.settings import Settings
from app.yaml_text import to_yaml

#: The GitHub environment holding the deploy job's secrets (the generated README tells the owner to create it).
ENVIRONMENT: Final = "prompt2prod"
#: Secrets the deploy job reads from that environment.
DEPLOY_SECRETS: Final = ("REGISTRY_USERNAME", "REGISTRY_PASSWORD", "KUBE_CONFIG")
#: Registries only a runner on the cluster's node reaches (the dev platform's in-cluster registry is on a NodePort).
_NODE_LOCAL_HOSTS: Final = frozenset({"localhost", "127.0.0.1"})


@dataclass(frozen=True, slots=True)
class Action:
    repository: str
    commit: str
    version: str

    @property
    def uses(self) -> str:
        return f"{self.repository}@{self.commit}"


# Renovate's github-actions manager updates this repository's workflows; tests/app/test_deploy_scaffold.py fails
# until these follow them.
CHECKOUT: Final = Action("actions/checkout", "3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1")
SETUP_PYTHON: Final = Action("actions/setup-python", "5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0")
SETUP_NODE: Final = Action("actions/setup-node", "820762786026740c76f36085b0efc47a31fe5020", "v7.0.0")
ACTIONS: Final = (CHECKOUT, SETUP_PYTHON, SETUP_NODE)

_CHECKOUT_STEP: Final = {"uses": CHECKOUT.uses, "with": {"persist-credentials": False}}

_PYTHON_STEPS: Final[list[dict[str, Any]]] = [
    {"uses": SETUP_PYTHON.uses, "with": {"python-version": "3.11"}},
    {
        "name": "Install",
        "run": "python -m pip install ruff pytest\n"
        "if [ -f requirements.txt ]; then pip install -r requirements.txt; fi\n"
        "if [ -f pyproject.toml ]; then pip install .; fi\n",
    },
    {"name": "Lint", "run": "ruff check ."},
    {"name": "Test", "run": "pytest"},
]

_NODE_STEPS: Final[list[dict[str, Any]]] = [
    {"uses": SETUP_NODE.uses, "with": {"node-version": "22"}},
    {"name": "Install", "run": "if [ -f package-lock.json ]; then npm ci; else npm install; fi"},
    {"name": "Lint", "run": "npm run lint --if-present"},
    {"name": "Test", "run": "npm test"},
]

_GENERIC_STEPS: Final[list[dict[str, Any]]] = [
    {
        "name": "Test",
        "run": 'if [ -f Makefile ]; then make test; else echo "no Makefile: add the project\'s test command"; fi',
    },
]

_BUILD_STEP: Final = {"name": "Build image", "run": "docker build -t app:ci ."}
_GENERIC_BUILD_STEP: Final = {"name": "Build image", "run": "if [ -f Dockerfile ]; then docker build -t app:ci .; fi"}

_LOGIN = """\
# The platform's dev registry takes pushes without credentials: log in only when the environment has them.
if [ -n "$REGISTRY_USERNAME" ]; then
  docker login "$REGISTRY" --username "$REGISTRY_USERNAME" --password-stdin <<< "$REGISTRY_PASSWORD"
fi
"""

_PUSH = """\
docker build --tag "$IMAGE:$GITHUB_SHA" .
docker push "$IMAGE:$GITHUB_SHA" | tee "$RUNNER_TEMP/push.log"
digest="$(grep -oE 'digest: sha256:[0-9a-f]{64}' "$RUNNER_TEMP/push.log" | tail -n 1 | cut -d ' ' -f 2)"
if [ -z "$digest" ]; then
  echo "::error::docker push reported no digest"
  exit 1
fi
echo "digest=$digest" >> "$GITHUB_OUTPUT"
"""

_APPLY = f"""\
umask 077
export KUBECONFIG="$RUNNER_TEMP/kubeconfig"
printf '%s\\n' "$KUBE_CONFIG" > "$KUBECONFIG"
# The manifests as committed, but the Deployment runs exactly the image pushed above (by digest, never a tag).
mkdir -p "$RUNNER_TEMP/{DEPLOY_FOLDER}"
cp {DEPLOY_FOLDER}/*.yaml "$RUNNER_TEMP/{DEPLOY_FOLDER}/"
kubectl set image --local --filename {DEPLOY_FOLDER}/deployment.yaml "{CONTAINER}=$IMAGE@$DIGEST" --output yaml \\
  > "$RUNNER_TEMP/{DEPLOY_FOLDER}/deployment.yaml"
kubectl apply --filename "$RUNNER_TEMP/{DEPLOY_FOLDER}/"
kubectl rollout status "deployment/$DEPLOYMENT" --namespace "$NAMESPACE" --timeout 5m
"""


def deploys_from_the_node(settings: Settings) -> bool:
    """Whether the registry is on the cluster node's loopback, which only a runner on that node reaches."""
    return settings.registry_server.partition(":")[0] in _NODE_LOCAL_HOSTS


def deploy_job(project: str, settings: Settings) -> dict[str, Any]:
    """Build, push, apply `deploy/` with the pushed digest, wait for the rollout: on the default branch only."""
    return {
        "name": "Deploy to the platform",
        "needs": ["lint-test-build"],
        "if": "github.event_name == 'push' && github.ref == format('refs/heads/{0}', "
        "github.event.repository.default_branch)",
        "runs-on": "self-hosted" if deploys_from_the_node(settings) else "ubuntu-latest",
        "timeout-minutes": 20,
        "environment": {"name": ENVIRONMENT, "url": app_url(project, settings)},
        # One deploy at a time, none cancelled half-way: the last push wins once the earlier one has finished.
        "concurrency": {"group": "deploy", "cancel-in-progress": False},
        "permissions": {"contents": "read"},
        "env": {
            "REGISTRY": settings.registry_server,
            "IMAGE": image_repository(project, settings),
            "NAMESPACE": settings.apps_namespace,
            "DEPLOYMENT": project,
        },
        "steps": [
            _CHECKOUT_STEP,
            {
                "name": "Log in to the registry",
                "env": {
                    "REGISTRY_USERNAME": "${{ secrets.REGISTRY_USERNAME }}",
                    "REGISTRY_PASSWORD": "${{ secrets.REGISTRY_PASSWORD }}",
                },
                "run": _LOGIN,
            },
            {"name": "Build and push the image", "id": "push", "run": _PUSH},
            {
                "name": "Apply deploy/ with the pushed digest and wait for the rollout",
                "env": {"KUBE_CONFIG": "${{ secrets.KUBE_CONFIG }}", "DIGEST": "${{ steps.push.outputs.digest }}"},
                "run": _APPLY,
            },
        ],
    }


Language = Literal["python", "node", "unknown"]


def ci_workflow(language: Language, project: str, settings: Settings) -> str:
    """The workflow's YAML text; `project` names the deployment (unused for an unknown language, which has none)."""
    return _workflow_text(language, project, hosting_key(settings))


@lru_cache(maxsize=SCAFFOLD_CACHE_SIZE)
def _workflow_text(language: Language, project: str, hosting: tuple[str, ...]) -> str:
    return workflow_text(language, project, hosting_settings(hosting))


def workflow_text(language: Language, project: str, settings: Settings) -> str:
    """`ci_workflow`, emitted anew."""
    steps = {"python": _PYTHON_STEPS, "node": _NODE_STEPS, "unknown": _GENERIC_STEPS}[language]
    build = _GENERIC_BUILD_STEP if language == "unknown" else _BUILD_STEP
    jobs: dict[str, Any] = {
        "lint-test-build": {
            "name": "Lint, test and build",
            "runs-on": "ubuntu-latest",
            # A newer push to the same branch or pull request makes this run's checks moot.
            "concurrency": {"group": "${{ github.workflow }}-${{ github.ref }}", "cancel-in-progress": True},
            "timeout-minutes": 30,
            "permissions": {"contents": "read"},
            "steps": [_CHECKOUT_STEP, *steps, build],
        }
    }
    if language != "unknown":
        jobs["deploy"] = deploy_job(project, settings)
    document = {
        "name": "ci",
        "on": {"push": None, "pull_request": None},
        "permissions": {},
        # Named explicitly, bash runs with `-o pipefail`: a failed `docker push | tee` fails its step.
        "defaults": {"run": {"shell": "bash"}},
        "jobs": jobs,
    }
    text = to_yaml(document)
    # PyYAML writes no comments; the version next to each pinned commit is for readers and Renovate.
    for action in ACTIONS:
        text = text.replace(f"uses: {action.uses}\n", f"uses: {action.uses} # {action.version}\n")
    return text
