"""The policy pack's rules as plain functions over resource inputs (camelCase, as in `resources.json`).

Each resource rule takes one `Resource` and returns violation messages; each stack rule takes every resource of
the stack and returns `(urn, message)` pairs. Every message names the resource it is about. `policy/__main__.py`
registers them with CrossGuard; the tests run them on both renders and on broken inputs.

Scope: the Kubernetes objects the program declares itself. Objects a Helm chart or a YAML bundle creates (their
URN has a `kubernetes:helm.sh/v4:Chart` or `kubernetes:yaml/v2:*` ancestor) are the chart's templates, reviewed
through the chart's values; a `helm.v3.Release` is one opaque resource.

Waivers: a rule may be waived for one object with the annotation
`policy.prompt2prod.io/skip-<rule name>: <reason of at least 10 characters>`. The checkov gate's own waivers
(`checkov.io/skip<N>: CKV_K8S_<n>=<reason>`, same minimum reason) count for the equivalent check here (probes:
8 liveness, 9 readiness; requests and limits: 10-13; image tag: 14; read-only root: 22; non-root: 23), so one
reviewed exception is written once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SKIP_ANNOTATION_PREFIX = "policy.prompt2prod.io/skip-"
CHECKOV_SKIP_PREFIX = "checkov.io/skip"
MIN_SKIP_REASON = 10
WAIVER_HINT = (
    f"annotate the object with {SKIP_ANNOTATION_PREFIX}<policy name>: <reason, {MIN_SKIP_REASON}+ characters>"
    " (or the equivalent checkov.io/skip<N> of the checkov gate)"
)
_THIRD_PARTY_PARENTS = (
    "kubernetes:helm.sh/v4:Chart$",
    "kubernetes:yaml/v2:ConfigGroup$",
    "kubernetes:yaml/v2:ConfigFile$",
)
_POD_TEMPLATE_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}
_RUN_TO_COMPLETION = {"Job", "CronJob"}
WORKLOAD_KINDS = _POD_TEMPLATE_KINDS | {"CronJob", "Pod"}


@dataclass(frozen=True)
class Resource:
    """What a rule sees of a resource: its Pulumi type token, name, URN and inputs."""

    type: str
    name: str
    urn: str
    inputs: Mapping[str, Any]

    @property
    def kind(self) -> str | None:
        """The Kubernetes kind of an object the program declares itself, else None."""
        if not self.type.startswith("kubernetes:") or self.type.startswith("kubernetes:helm.sh"):
            return None
        if any(parent in self.urn for parent in _THIRD_PARTY_PARENTS):
            return None
        kind = self.type.rsplit(":", 1)[-1]
        return None if kind.endswith(("Patch", "List")) else kind

    @property
    def metadata(self) -> Mapping[str, Any]:
        return as_mapping(self.inputs.get("metadata"))

    @property
    def namespace(self) -> str:
        return str(self.metadata.get("namespace") or "default")

    def describe(self) -> str:
        if self.kind is not None:
            return f"{self.kind} {self.namespace}/{self.metadata.get('name', self.name)} ({self.name})"
        return f"{self.type} {self.name}"

    def waived(self, rule: str) -> bool:
        reason = as_mapping(self.metadata.get("annotations")).get(SKIP_ANNOTATION_PREFIX + rule)
        return isinstance(reason, str) and len(reason.strip()) >= MIN_SKIP_REASON

    @property
    def checkov_skips(self) -> frozenset[str]:
        """Checkov check ids skipped on this object with a stated reason (`CKV_K8S_22=<reason>`)."""
        skipped = set()
        for key, value in as_mapping(self.metadata.get("annotations")).items():
            if str(key).startswith(CHECKOV_SKIP_PREFIX) and isinstance(value, str) and "=" in value:
                check, reason = value.split("=", 1)
                if len(reason.strip()) >= MIN_SKIP_REASON:
                    skipped.add(check.strip())
        return frozenset(skipped)


def resources_of(document: Mapping[str, Any]) -> list[Resource]:
    """The resources of a `resources.json` document (the render's, docs/render-and-checks.md)."""
    return [Resource(r["type"], r["name"], r["urn"], r.get("inputs") or {}) for r in document["resources"]]


def as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def as_list(value: Any) -> list[Any]:
    # CrossGuard hands lists over as read-only Sequence proxies, not lists.
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else []


def pod_template(resource: Resource) -> Mapping[str, Any] | None:
    """The pod template (`metadata` + `spec`) of a workload, or None for anything else."""
    spec = as_mapping(resource.inputs.get("spec"))
    if resource.kind in _POD_TEMPLATE_KINDS:
        return as_mapping(spec.get("template"))
    if resource.kind == "CronJob":
        return as_mapping(as_mapping(as_mapping(spec.get("jobTemplate")).get("spec")).get("template"))
    if resource.kind == "Pod":
        return {"metadata": resource.metadata, "spec": spec}
    return None


def _containers(pod_spec: Mapping[str, Any], *, init: bool = True) -> Iterator[tuple[str, Mapping[str, Any]]]:
    keys = ("initContainers", "containers") if init else ("containers",)
    for key in keys:
        for container in as_list(pod_spec.get(key)):
            container = as_mapping(container)
            label = "init container" if key == "initContainers" else "container"
            yield f'{label} "{container.get("name", "?")}"', container


ResourceRule = Callable[[Resource], list[str]]


def _workload_rule(
    name: str, checkov: str | None = None
) -> Callable[[Callable[[Resource, Mapping[str, Any]], list[str]]], ResourceRule]:
    """Run `check(resource, pod_spec)` on workloads that have waived neither rule `name` nor its `checkov` check."""

    def decorate(check: Callable[[Resource, Mapping[str, Any]], list[str]]) -> ResourceRule:
        def rule(resource: Resource) -> list[str]:
            template = pod_template(resource)
            if template is None or resource.waived(name) or checkov in resource.checkov_skips:
                return []
            return [
                f"{resource.describe()}: {problem}" for problem in check(resource, as_mapping(template.get("spec")))
            ]

        rule.__name__ = check.__name__
        rule.__doc__ = check.__doc__
        return rule

    return decorate


_QUANTITY_CHECKS = {
    ("requests", "cpu"): "CKV_K8S_10",
    ("requests", "memory"): "CKV_K8S_12",
    ("limits", "cpu"): "CKV_K8S_11",
    ("limits", "memory"): "CKV_K8S_13",
}
_PROBE_CHECKS = {"livenessProbe": "CKV_K8S_8", "readinessProbe": "CKV_K8S_9"}


@_workload_rule("requests-and-limits")
def requests_and_limits(resource: Resource, pod_spec: Mapping[str, Any]) -> list[str]:
    """Every container sets CPU and memory requests and limits."""
    problems = []
    for label, container in _containers(pod_spec):
        resources = as_mapping(container.get("resources"))
        missing = [
            f"{section}.{quantity}"
            for (section, quantity), check in _QUANTITY_CHECKS.items()
            if not as_mapping(resources.get(section)).get(quantity) and check not in resource.checkov_skips
        ]
        if missing:
            problems.append(f"{label} sets no {', '.join(missing)}")
    return problems


@_workload_rule("probes")
def probes(resource: Resource, pod_spec: Mapping[str, Any]) -> list[str]:
    """Long-running containers have liveness and readiness probes (Jobs run to completion and need none)."""
    if resource.kind in _RUN_TO_COMPLETION:
        return []
    return [
        f"{label} has no {probe}"
        for label, container in _containers(pod_spec, init=False)
        for probe, check in _PROBE_CHECKS.items()
        if not container.get(probe) and check not in resource.checkov_skips
    ]


_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def image_problem(image: Any) -> str | None:
    """Why an image reference is not pinned (None when it has a version tag or a digest)."""
    if not isinstance(image, str) or not image:
        return "has no image"
    if _DIGEST.search(image):
        return None
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return f"image {image!r} has no tag (it means latest)"
    if last.rsplit(":", 1)[1] == "latest":
        return f"image {image!r} uses the latest tag"
    return None


@_workload_rule("pinned-images", checkov="CKV_K8S_14")
def pinned_images(resource: Resource, pod_spec: Mapping[str, Any]) -> list[str]:
    """Every image is pinned by a version tag or a digest: never `latest`, never untagged."""
    problems = []
    for label, container in _containers(pod_spec):
        problem = image_problem(container.get("image"))
        if problem:
            problems.append(f"{label} {problem}")
    return problems


@_workload_rule("non-root", checkov="CKV_K8S_23")
def non_root(resource: Resource, pod_spec: Mapping[str, Any]) -> list[str]:
    """Every container runs as non-root: `runAsNonRoot: true` and no `runAsUser: 0` (container overrides pod)."""
    pod_context = as_mapping(pod_spec.get("securityContext"))
    problems = []
    for label, container in _containers(pod_spec):
        effective = {**pod_context, **as_mapping(container.get("securityContext"))}
        if effective.get("runAsNonRoot") is not True:
            problems.append(f"{label} does not set runAsNonRoot: true")
        elif effective.get("runAsUser") == 0:
            problems.append(f"{label} runs as user 0")
    return problems


@_workload_rule("read-only-root-filesystem", checkov="CKV_K8S_22")
def read_only_root_filesystem(resource: Resource, pod_spec: Mapping[str, Any]) -> list[str]:
    """Every container mounts its root filesystem read-only (waive with a reason where the image cannot)."""
    return [
        f"{label} does not set readOnlyRootFilesystem: true"
        for label, container in _containers(pod_spec)
        if as_mapping(container.get("securityContext")).get("readOnlyRootFilesystem") is not True
    ]


def _azure_type(resource: Resource, module: str, name: str) -> bool:
    """Matches `azure-native:<module>:<name>` and its explicit API versions (`<module>/v20240101:<name>`)."""
    return re.fullmatch(rf"azure-native:{module}(/v[0-9a-z]+)?:{name}", resource.type) is not None


def acr_admin_user_disabled(resource: Resource) -> list[str]:
    """A container registry never enables its shared admin user (pulls use the kubelet identity)."""
    if not _azure_type(resource, "containerregistry", "Registry"):
        return []
    if resource.inputs.get("adminUserEnabled") is True:
        return [f"{resource.describe()}: adminUserEnabled must be false"]
    return []


def key_vault_purge_protection(resource: Resource) -> list[str]:
    """A Key Vault has purge protection on and soft delete not turned off."""
    if not _azure_type(resource, "keyvault", "Vault"):
        return []
    properties = as_mapping(resource.inputs.get("properties"))
    problems = []
    if properties.get("enablePurgeProtection") is not True:
        problems.append(f"{resource.describe()}: properties.enablePurgeProtection must be true")
    if properties.get("enableSoftDelete") is False:
        problems.append(f"{resource.describe()}: properties.enableSoftDelete must not be false")
    return problems


def aks_local_accounts_disabled(resource: Resource) -> list[str]:
    """An AKS cluster disables local accounts: every identity goes through Entra ID."""
    if not _azure_type(resource, "containerservice", "ManagedCluster"):
        return []
    if resource.inputs.get("disableLocalAccounts") is not True:
        return [f"{resource.describe()}: disableLocalAccounts must be true"]
    return []


RESOURCE_RULES: dict[str, ResourceRule] = {
    "requests-and-limits": requests_and_limits,
    "probes": probes,
    "pinned-images": pinned_images,
    "non-root": non_root,
    "read-only-root-filesystem": read_only_root_filesystem,
    "acr-admin-user-disabled": acr_admin_user_disabled,
    "key-vault-purge-protection": key_vault_purge_protection,
    "aks-local-accounts-disabled": aks_local_accounts_disabled,
}
