"""How a generated project runs on this platform: its name and its Kubernetes manifests under `deploy/`.

`deploy_manifests(project, settings)` gives, path -> YAML text:
- a Deployment: one pod under the restricted Pod Security Standard (non-root UID 10001, seccomp `RuntimeDefault`, no
  privilege escalation, every capability dropped, read-only root filesystem with an `emptyDir` on `/tmp`, no service
  account token), requests and limits, TCP probes on port 8080;
- a Service, port 8080 named `http`;
- an HTTPRoute attaching to the platform's Gateway (listener `apps`), host `<project>.<apps_domain>`;
- a NetworkPolicy: ingress only from the Gateway's proxy pods on 8080, egress only to the cluster DNS.

Everything the platform knows (registry, Gateway, apps domain and namespace) comes from `Settings`; the model
contributes at most the project's name, and only through `dns_label`, which turns any string into a valid name or
nothing. The image is `<registry_server>/<project>` without a tag: the deploy job (`app/ci_workflow.py`) sets it to
the digest it pushed before anything is applied.
"""

import hashlib
import json
import re
import tomllib
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, Final

from app.paths import DEPLOY_MANIFESTS
from app.project import ProjectFile
from app.settings import Settings
from app.yaml_text import to_yaml

#: Generated apps listen here (`PORT`), as the Dockerfile, the manifests and the model's instructions say.
APPS_PORT: Final = 8080
PORT_NAME: Final = "http"
#: The platform Gateway's listener for generated apps (HTTPS, `*.<apps_domain>`).
GATEWAY_LISTENER: Final = "apps"
PART_OF: Final = "prompt2prod-apps"
#: The container's name in the Deployment, which the deploy job's `kubectl set image` names.
CONTAINER: Final = "app"
#: The UID and GID the scaffolded Dockerfiles create, and the pod runs as (checkov wants 10000 or more).
RUN_AS: Final = 10001
FALLBACK_PREFIX: Final = "app"
SUFFIX_CHARS: Final = 8
# kgateway labels a Gateway's proxy pods with the Gateway's name; the platform's own NetworkPolicies select them so.
GATEWAY_POD_LABEL: Final = "gateway.networking.k8s.io/gateway-name"
# CoreDNS carries this label on K3s and on AKS.
DNS_NAMESPACE: Final = "kube-system"
DNS_POD_LABELS: Final = {"k8s-app": "kube-dns"}

# A Service's name must be a DNS-1035 label (a letter first); the project's name is every object's name and the
# first label of its host, so it is one.
MAX_NAME_CHARS: Final = 63
_NAME = re.compile(r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?")
_NOT_NAME_CHARS = re.compile(r"[^a-z0-9]+")
# Enough of a hostile name to derive a label from; the rest could only be cut off.
_RAW_NAME_CHARS = 4 * MAX_NAME_CHARS
# A package.json or pyproject.toml is a few KiB; a larger one is not parsed (on the event loop) for its name.
MAX_MANIFEST_CHARS: Final = 64 * 1024


def dns_label(raw: object) -> str | None:
    """A valid project name made of `raw`'s letters and digits, or None when nothing usable is left.

    `@scope/todo-api` -> `todo-api`, `Todo API!` -> `todo-api`, `Café` -> `cafe`, `2048` -> `app-2048`.
    """
    if not isinstance(raw, str):
        return None
    text = raw.strip()[:_RAW_NAME_CHARS].rsplit("/", 1)[-1]
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    label = _NOT_NAME_CHARS.sub("-", ascii_text).strip("-")
    if not label:
        return None
    if not label[0].isalpha():
        label = f"{FALLBACK_PREFIX}-{label}"
    label = label[:MAX_NAME_CHARS].rstrip("-")
    return label if _NAME.fullmatch(label) else None


def _declared_name(files: Iterable[ProjectFile]) -> object:
    """The name the project's own manifest declares (package.json `name`, pyproject.toml `[project] name`)."""
    for item in files:
        if len(item.content) > MAX_MANIFEST_CHARS:
            continue
        try:
            if item.path == "package.json":
                document = json.loads(item.content)
                return document.get("name") if isinstance(document, dict) else None
            if item.path == "pyproject.toml":
                project = tomllib.loads(item.content).get("project")
                return project.get("name") if isinstance(project, dict) else None
        except (ValueError, RecursionError):  # unparseable or nested too deep: no name from it
            return None
    return None


def project_name(files: list[ProjectFile]) -> str:
    """The project's name: what its package.json or pyproject.toml declares, made a valid DNS label (else `app`),
    then `-<8 hex digits>` of the files. Every generated app shares the apps namespace: models name projects
    `todo-api` again and again, and without the suffix the second one deployed would take over the first one's
    Deployment, Service and host."""
    digest = hashlib.sha256()
    for item in files:
        digest.update(item.path.encode() + b"\0" + item.content.encode() + b"\0")
    suffix = f"-{digest.hexdigest()[:SUFFIX_CHARS]}"
    declared = dns_label(_declared_name(files)) or FALLBACK_PREFIX
    return declared[: MAX_NAME_CHARS - len(suffix)].rstrip("-") + suffix


def _checked(project: str) -> str:
    if not isinstance(project, str) or _NAME.fullmatch(project) is None:
        raise ValueError(
            "a project name is a DNS label: lower-case letters, digits and '-', a letter first, at most 63"
        )
    return project


def image_repository(project: str, settings: Settings) -> str:
    return f"{settings.registry_server}/{_checked(project)}"


def app_url(project: str, settings: Settings) -> str:
    return f"{settings.apps_scheme}://{app_host(project, settings)}"


def app_host(project: str, settings: Settings) -> str:
    return f"{_checked(project)}.{settings.apps_domain}"


def _labels(project: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": project, "app.kubernetes.io/part-of": PART_OF}


def _metadata(project: str, settings: Settings, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": project, "namespace": settings.apps_namespace, "labels": _labels(project)}
    if annotations:
        metadata["annotations"] = annotations
    return metadata


def _tcp_probe(period: int, failures: int) -> dict[str, Any]:
    # TCP, not HTTP: the model is asked for GET /health but may not write it, and an HTTP probe on a path the app
    # lacks would restart a working app forever. Any server listening on the port passes.
    return {"tcpSocket": {"port": PORT_NAME}, "periodSeconds": period, "failureThreshold": failures}


def _container(project: str, settings: Settings) -> dict[str, Any]:
    return {
        "name": CONTAINER,
        "image": image_repository(project, settings),
        "imagePullPolicy": "Always",
        "ports": [{"name": PORT_NAME, "containerPort": APPS_PORT, "protocol": "TCP"}],
        # HOME on the writable /tmp: npm and many libraries write caches there, and the root filesystem is read-only.
        "env": [{"name": "PORT", "value": str(APPS_PORT)}, {"name": "HOME", "value": "/tmp"}],  # noqa: S108 - the pod's emptyDir
        # Up to two minutes to start listening (npm start, first imports) before liveness counts.
        "startupProbe": _tcp_probe(period=2, failures=60),
        "livenessProbe": _tcp_probe(period=10, failures=3),
        "readinessProbe": _tcp_probe(period=5, failures=2),
        "resources": {
            "requests": {"cpu": "50m", "memory": "64Mi"},
            "limits": {"cpu": "500m", "memory": "256Mi"},
        },
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": RUN_AS,
            "runAsGroup": RUN_AS,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],  # noqa: S108 - the pod's own emptyDir
    }


def deployment(project: str, settings: Settings) -> dict[str, Any]:
    skips = {
        "checkov.io/skip1": "CKV_K8S_43=the file names the repository only: the deploy job applies it with the image "
        "set to the digest it has just pushed",
        "checkov.io/skip2": "CKV_K8S_14=no tag on purpose: the deploy job pins the pushed digest, which names the "
        "image more exactly than any tag",
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _metadata(project, settings, skips),
        "spec": {
            "replicas": 1,
            "revisionHistoryLimit": 3,
            "selector": {"matchLabels": {"app.kubernetes.io/name": project}},
            "template": {
                "metadata": {"labels": _labels(project)},
                "spec": {
                    "automountServiceAccountToken": False,
                    "enableServiceLinks": False,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": RUN_AS,
                        "runAsGroup": RUN_AS,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [_container(project, settings)],
                    "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
                },
            },
        },
    }


def service(project: str, settings: Settings) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(project, settings),
        "spec": {
            "type": "ClusterIP",
            "selector": {"app.kubernetes.io/name": project},
            "ports": [{"name": PORT_NAME, "port": APPS_PORT, "targetPort": PORT_NAME, "protocol": "TCP"}],
        },
    }


def http_route(project: str, settings: Settings) -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": _metadata(project, settings),
        "spec": {
            "parentRefs": [
                {
                    "group": "gateway.networking.k8s.io",
                    "kind": "Gateway",
                    "name": settings.gateway_name,
                    "namespace": settings.gateway_namespace,
                    "sectionName": GATEWAY_LISTENER,
                }
            ],
            "hostnames": [app_host(project, settings)],
            # Gateway API's defaults, written out: whoever edits deploy/ sees what the route matches and reaches.
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                    "backendRefs": [{"kind": "Service", "name": project, "port": APPS_PORT}],
                }
            ],
        },
    }


def network_policy(project: str, settings: Settings) -> dict[str, Any]:
    """Ingress from the Gateway's proxies only; egress to the cluster DNS only (a generated app calls nothing else
    until its author says so here)."""
    gateway_proxies = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": settings.gateway_namespace}},
        "podSelector": {"matchLabels": {GATEWAY_POD_LABEL: settings.gateway_name}},
    }
    dns = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": DNS_NAMESPACE}},
        "podSelector": {"matchLabels": dict(DNS_POD_LABELS)},
    }
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _metadata(project, settings),
        "spec": {
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": project}},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [gateway_proxies], "ports": [{"protocol": "TCP", "port": APPS_PORT}]}],
            "egress": [{"to": [dns], "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}],
        },
    }


def manifest_objects(project: str, settings: Settings) -> dict[str, dict[str, Any]]:
    """Path under the project -> the Kubernetes object it holds."""
    builders = (deployment, service, http_route, network_policy)
    return {path: build(_checked(project), settings) for path, build in zip(DEPLOY_MANIFESTS, builders, strict=True)}


def deploy_manifests(project: str, settings: Settings) -> dict[str, str]:
    """Path under the project -> the YAML text of its manifest; `project` must be a valid name (`dns_label`)."""
    return dict(_manifest_texts(project, hosting_key(settings)))


HOSTING_SETTINGS: Final = (
    "apps_domain",
    "apps_scheme",
    "apps_namespace",
    "registry_server",
    "gateway_name",
    "gateway_namespace",
)
"""The only settings a project's deployment reads (tests/app/test_deploy_scaffold.py checks that it reads no other)."""
# Emitting the manifests and the workflow costs about 2 ms of CPU per generation on the event loop; their text
# depends only on the project's name and language and these settings, so each is emitted once (bench/app.py).
SCAFFOLD_CACHE_SIZE: Final = 512


def hosting_key(settings: Settings) -> tuple[str, ...]:
    return tuple(str(getattr(settings, name)) for name in HOSTING_SETTINGS)


def hosting_settings(key: tuple[str, ...]) -> Settings:
    """Settings holding just the values of `key` (taken from validated settings): all that deployment reads."""
    values: dict[str, Any] = dict(zip(HOSTING_SETTINGS, key, strict=True))
    return Settings.model_construct(**values)


@lru_cache(maxsize=SCAFFOLD_CACHE_SIZE)
def _manifest_texts(project: str, hosting: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    objects = manifest_objects(project, hosting_settings(hosting))
    return tuple((path, to_yaml(document)) for path, document in objects.items())
