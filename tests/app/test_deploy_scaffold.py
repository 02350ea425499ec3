"""A generated project's deployment, as the service scaffolds it.

Guards: a hostile name from the model yields a valid DNS label or a clear fallback, never an invalid object name or
YAML of the model's making; the manifests say what the platform's settings say (registry, Gateway, apps domain and
namespace); the pod is restricted and reachable only from the Gateway's proxies; one port, 8080, from the Dockerfile
to the route; the deploy job runs only on the default branch after the checks, pushes where the manifests pull from
and applies exactly the digest it pushed; least privilege (no permission but `contents: read`, actions pinned by the
commits this repository pins, secrets only in the job that names the environment, no expression in a script).
"""

import json
import re
from typing import Any

import pytest
import yaml

from app.ci_workflow import ACTIONS, ENVIRONMENT, ci_workflow, workflow_text
from app.deploy_scaffold import HOSTING_SETTINGS, deploy_manifests, dns_label, manifest_objects, project_name
from app.paths import CI_WORKFLOW, DEPLOY_MANIFESTS
from app.project import SCAFFOLD_RESERVE_BYTES, ProjectFile
from app.scaffold import scaffold
from app.settings import Settings
from app.yaml_text import to_yaml
from tests.support import WORKFLOWS

SETTINGS = Settings(
    apps_domain="apps.example.com",
    apps_scheme="https",
    apps_namespace="tenant-apps",
    registry_server="registry.example.com:5000",
    gateway_name="edge",
    gateway_namespace="ingress",
)
DNS_1035_LABEL = re.compile(r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?")

PYTHON_FILES = [ProjectFile("main.py", "print('hi')\n"), ProjectFile("requirements.txt", "flask\n")]
NODE_FILES = [ProjectFile("index.js", "console.log('hi')\n")]


def project(files: list[ProjectFile], settings: Settings = SETTINGS) -> dict[str, str]:
    scaffolded, _, _ = scaffold(list(files), "A service.", settings=settings)
    return {item.path: item.content for item in scaffolded}


def workflow(files: list[ProjectFile], settings: Settings = SETTINGS) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(project(files, settings)[CI_WORKFLOW])
    return document


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("@acme/Todo API", "todo-api"),
        ("Café Übersicht", "cafe-ubersicht"),
        ("2048", "app-2048"),
        ("../../etc/passwd", "passwd"),
        ("x" * 10_000, "x" * 63),
        ("a" * 62 + "-b", "a" * 62),  # cut at 63, never ending in '-'
        ("name\nkind: Pod\nspec: {hostNetwork: true}", "name-kind-pod-spec-hostnetwork-true"),
        ("--", None),
        ("", None),
        ("日本語", None),
        ("\u202e\u200b", None),
        (42, None),
        (None, None),
        (["a"], None),
    ],
)
def test_any_declared_name_becomes_a_valid_label_or_none(raw: object, expected: str | None) -> None:
    label = dns_label(raw)

    assert label == expected
    assert label is None or DNS_1035_LABEL.fullmatch(label)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ([ProjectFile("package.json", json.dumps({"name": "@me/My App"})), *NODE_FILES], "my-app"),
        ([ProjectFile("pyproject.toml", '[project]\nname = "Weather_Bot"\n'), *PYTHON_FILES], "weather-bot"),
        ([ProjectFile("package.json", json.dumps({"name": "x" * 100})), *NODE_FILES], "x" * 54),
    ],
)
def test_the_name_is_the_one_the_project_declares_and_its_own(files: list[ProjectFile], expected: str) -> None:
    name = project_name(files)
    other = project_name([*files, ProjectFile("extra.txt", "another project of the same name\n")])

    assert re.fullmatch(rf"{expected}-[0-9a-f]{{8}}", name)
    assert DNS_1035_LABEL.fullmatch(name)
    # Two projects declaring the same name do not take over each other's Deployment, Service and host.
    assert other != name
    assert other.startswith(f"{expected}-")


@pytest.mark.parametrize(
    "manifest",
    [
        ProjectFile("package.json", "{not json"),
        ProjectFile("package.json", "[" * 100_000),
        ProjectFile("package.json", json.dumps({"name": "x" * 10} | {"pad": "y" * 70_000})),
        ProjectFile("package.json", json.dumps(["name"])),
        ProjectFile("package.json", json.dumps({"name": "---"})),
        ProjectFile("pyproject.toml", "project = [" * 5000),
        ProjectFile("pyproject.toml", "[project]\nname = 7\n"),
    ],
    ids=["broken", "deep", "huge", "not-an-object", "no-letters", "deep-toml", "not-a-string"],
)
def test_a_project_without_a_usable_name_gets_a_fallback_of_its_own(manifest: ProjectFile) -> None:
    first = project_name([manifest, ProjectFile("main.py", "print(1)\n")])
    second = project_name([manifest, ProjectFile("main.py", "print(2)\n")])

    assert re.fullmatch(r"app-[0-9a-f]{8}", first)
    assert first != second  # two unnamed projects do not replace each other's Deployment


def test_manifests_refuse_a_name_that_is_not_a_label() -> None:
    for name in ("Todo", "todo_api", "-todo", "1todo", "a" * 64, ""):
        with pytest.raises(ValueError, match="DNS label"):
            deploy_manifests(name, SETTINGS)


def test_the_manifests_say_what_the_platform_settings_say() -> None:
    objects = manifest_objects("todo", SETTINGS)

    assert sorted(objects) == sorted(DEPLOY_MANIFESTS)
    assert {doc["metadata"]["namespace"] for doc in objects.values()} == {"tenant-apps"}
    assert {doc["metadata"]["name"] for doc in objects.values()} == {"todo"}
    route = objects["deploy/httproute.yaml"]["spec"]
    assert route["parentRefs"] == [
        {
            "group": "gateway.networking.k8s.io",
            "kind": "Gateway",
            "name": "edge",
            "namespace": "ingress",
            "sectionName": "apps",
        }
    ]
    assert route["hostnames"] == ["todo.apps.example.com"]
    container = objects["deploy/deployment.yaml"]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "registry.example.com:5000/todo"
    # The YAML text holds the same objects: written by a serializer, nothing of the name's making.
    assert {path: yaml.safe_load(text) for path, text in deploy_manifests("todo", SETTINGS).items()} == objects


def test_the_pod_runs_restricted_with_requests_limits_and_probes() -> None:
    pod = manifest_objects("todo", SETTINGS)["deploy/deployment.yaml"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]

    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    context = container["securityContext"]
    assert context["allowPrivilegeEscalation"] is False
    assert context["readOnlyRootFilesystem"] is True
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context["runAsUser"] >= 10000
    tmp = next(volume for volume in pod["volumes"] if "emptyDir" in volume)
    assert {"name": tmp["name"], "mountPath": "/tmp"} in container["volumeMounts"]
    assert set(container["resources"]) == {"requests", "limits"}
    assert all(set(part) == {"cpu", "memory"} for part in container["resources"].values())
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]["tcpSocket"] == {"port": "http"}


@pytest.mark.parametrize("files", [PYTHON_FILES, NODE_FILES], ids=["python", "node"])
def test_one_port_from_the_dockerfile_to_the_route(files: list[ProjectFile]) -> None:
    scaffolded = project(files)
    manifests = {path: yaml.safe_load(scaffolded[path]) for path in DEPLOY_MANIFESTS}
    (container,) = manifests["deploy/deployment.yaml"]["spec"]["template"]["spec"]["containers"]
    (port,) = container["ports"]
    service = manifests["deploy/service.yaml"]["spec"]
    dockerfile = scaffolded["Dockerfile"].splitlines()

    assert port["containerPort"] == 8080
    assert f"EXPOSE {port['containerPort']}" in dockerfile
    assert any(line.startswith("ENV ") and f"PORT={port['containerPort']}" in line.split() for line in dockerfile)
    assert {"name": "PORT", "value": str(port["containerPort"])} in container["env"]
    assert service["ports"] == [{"name": "http", "port": 8080, "targetPort": port["name"], "protocol": "TCP"}]
    assert (
        service["selector"].items()
        <= manifests["deploy/deployment.yaml"]["spec"]["template"]["metadata"]["labels"].items()
    )
    (rule,) = manifests["deploy/httproute.yaml"]["spec"]["rules"]
    assert rule["backendRefs"] == [
        {"kind": "Service", "name": scaffolded_name(scaffolded), "port": service["ports"][0]["port"]}
    ]
    (ingress,) = manifests["deploy/networkpolicy.yaml"]["spec"]["ingress"]
    assert ingress["ports"] == [{"protocol": "TCP", "port": port["containerPort"]}]
    assert all(container[probe]["tcpSocket"]["port"] == port["name"] for probe in ("livenessProbe", "readinessProbe"))


def scaffolded_name(scaffolded: dict[str, str]) -> str:
    name: str = yaml.safe_load(scaffolded["deploy/service.yaml"])["metadata"]["name"]
    return name


def test_the_network_policy_admits_only_the_gateway_proxies_and_allows_only_dns() -> None:
    policy = manifest_objects("todo", SETTINGS)["deploy/networkpolicy.yaml"]["spec"]

    assert policy["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "todo"}}
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    (ingress,) = policy["ingress"]
    assert ingress["from"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress"}},
            "podSelector": {"matchLabels": {"gateway.networking.k8s.io/gateway-name": "edge"}},
        }
    ]
    (egress,) = policy["egress"]
    assert egress["to"][0]["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}
    assert sorted(port["port"] for port in egress["ports"]) == [53, 53]


def test_the_node_package_carries_the_project_name() -> None:
    scaffolded = project(NODE_FILES)

    assert json.loads(scaffolded["package.json"])["name"] == scaffolded_name(scaffolded)


def test_a_project_of_unknown_language_gets_neither_manifests_nor_a_deploy_job() -> None:
    scaffolded = project([ProjectFile("main.go", "package main\n")])

    assert not set(DEPLOY_MANIFESTS) & set(scaffolded)
    assert set(yaml.safe_load(scaffolded[CI_WORKFLOW])["jobs"]) == {"lint-test-build"}


@pytest.mark.parametrize("files", [PYTHON_FILES, NODE_FILES], ids=["python", "node"])
def test_the_deploy_job_runs_on_pushes_to_the_default_branch_after_the_checks(files: list[ProjectFile]) -> None:
    jobs = workflow(files)["jobs"]
    deploy = jobs["deploy"]

    assert deploy["needs"] == ["lint-test-build"]
    assert "github.event_name == 'push'" in deploy["if"]
    assert "format('refs/heads/{0}', github.event.repository.default_branch)" in deploy["if"]
    assert deploy["environment"]["name"] == ENVIRONMENT
    assert deploy["env"]["IMAGE"] == f"registry.example.com:5000/{deploy['env']['DEPLOYMENT']}"
    assert deploy["env"]["NAMESPACE"] == "tenant-apps"


@pytest.mark.parametrize("files", [PYTHON_FILES, NODE_FILES], ids=["python", "node"])
def test_the_workflow_holds_least_privilege(files: list[ProjectFile]) -> None:
    document = workflow(files)
    text = project(files)[CI_WORKFLOW]

    assert document["permissions"] == {}
    assert {name: job["permissions"] for name, job in document["jobs"].items()} == {
        "lint-test-build": {"contents": "read"},
        "deploy": {"contents": "read"},
    }
    for name, job in document["jobs"].items():
        for step in job["steps"]:
            assert "${{" not in step.get("run", ""), f"{name}: an expression inside a script"
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False
        uses_secrets = "secrets." in json.dumps(job)
        assert uses_secrets == (name == "deploy")
    uses_lines = [line.strip() for line in text.splitlines() if line.strip().startswith(("uses:", "- uses:"))]
    assert uses_lines
    assert all(re.fullmatch(r"(- )?uses: [\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+", line) for line in uses_lines)


def test_the_deploy_job_runs_on_the_node_only_for_a_registry_on_its_loopback() -> None:
    dev = Settings(registry_server="localhost:30500")

    assert workflow(PYTHON_FILES, dev)["jobs"]["deploy"]["runs-on"] == "self-hosted"
    assert workflow(PYTHON_FILES)["jobs"]["deploy"]["runs-on"] == "ubuntu-latest"
    assert "self-hosted runner" in project(PYTHON_FILES, dev)["README.md"]


def test_the_pinned_actions_are_the_commits_this_repository_pins() -> None:
    ours = {}
    for path in WORKFLOWS.glob("*.yml"):
        for match in re.finditer(r"uses: ([\w.-]+/[\w.-]+)@([0-9a-f]{40}) # (v[\d.]+)", path.read_text()):
            ours[match.group(1)] = (match.group(2), match.group(3))
    shared = [action for action in ACTIONS if action.repository in ours]

    assert len(shared) >= 2  # checkout and setup-python at least
    for action in shared:
        assert (action.commit, action.version) == ours[action.repository], action.repository


def test_the_readme_documents_the_deploy_secrets_and_the_url() -> None:
    readme = project(PYTHON_FILES)["README.md"]
    name = scaffolded_name(project(PYTHON_FILES))
    secrets = set(re.findall(r"secrets\.([A-Z_]+)", ci_workflow("python", name, SETTINGS)))

    assert secrets == {"REGISTRY_USERNAME", "REGISTRY_PASSWORD", "KUBE_CONFIG"}
    assert all(f"`{secret}`" in readme for secret in secrets)
    assert f"https://{name}.apps.example.com" in readme
    assert f"`{ENVIRONMENT}`" in readme


@pytest.mark.parametrize("files", [PYTHON_FILES, NODE_FILES], ids=["python", "node"])
def test_the_scaffolding_fits_the_room_the_size_caps_keep_for_it(files: list[ProjectFile]) -> None:
    # The longest values the settings and the name allow: the project must still stay under MAX_TOTAL_BYTES.
    longest = Settings(
        apps_domain=".".join(["a" * 63, "b" * 63, "c" * 61]),
        registry_server="r" * 63 + ".example.com:65535",
        apps_namespace="n" * 63,
        gateway_name="g" * 63,
        gateway_namespace="s" * 63,
    )
    scaffolded, _, added = scaffold(list(files), "", settings=longest, project="p" * 63)

    assert sum(len(item.content.encode()) for item in scaffolded if item.path in added) <= SCAFFOLD_RESERVE_BYTES


class _Recording:
    """Settings that note every setting read of them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.read: set[str] = set()

    def __getattr__(self, name: str) -> object:
        self.read.add(name)
        return getattr(self.settings, name)


def test_the_deployment_reads_only_the_hosting_settings_it_is_cached_by() -> None:
    """The manifests and the workflow are emitted once per project and hosting settings: a setting read beyond
    those would be taken from the first generation's settings for every later one."""
    recording = _Recording(Settings(apps_domain="apps.example.com", registry_server="registry.example.com"))
    manifest_objects("demo", recording)  # type: ignore[arg-type]
    for language in ("python", "node", "unknown"):
        workflow_text(language, "demo", recording)  # type: ignore[arg-type]

    assert recording.read <= set(HOSTING_SETTINGS)
    assert deploy_manifests("demo", recording.settings) == {
        path: to_yaml(document) for path, document in manifest_objects("demo", recording.settings).items()
    }
    assert ci_workflow("node", "demo", recording.settings) == workflow_text("node", "demo", recording.settings)
