"""Helpers for the tests of the checks on generated projects (app/checks): the real tools' places, a hardened
set of manifests that passes every check, and a checker built from settings."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from app.checks import Checker
from app.metrics import Metrics
from app.settings import Settings

REPO = Path(__file__).resolve().parents[2]
BIN_DIR = REPO / ".venv" / "bin"
CHECKOV = REPO / ".tools" / "checkov" / "bin" / "checkov"
DIGEST = "sha256:" + "0" * 63 + "1"

HARDENED_DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "demo", "namespace": "apps", "labels": {"app.kubernetes.io/name": "demo"}},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app.kubernetes.io/name": "demo"}},
        "template": {
            "metadata": {"labels": {"app.kubernetes.io/name": "demo"}},
            "spec": {
                "automountServiceAccountToken": False,
                "securityContext": {
                    "runAsNonRoot": True,
                    "runAsUser": 10001,
                    "runAsGroup": 10001,
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "containers": [
                    {
                        "name": "app",
                        "image": f"registry.localhost:5000/demo@{DIGEST}",
                        "imagePullPolicy": "Always",
                        "ports": [{"name": "http", "containerPort": 8080}],
                        "readinessProbe": {"httpGet": {"path": "/", "port": "http"}},
                        "livenessProbe": {"httpGet": {"path": "/", "port": "http"}},
                        "resources": {
                            "requests": {"cpu": "50m", "memory": "64Mi"},
                            "limits": {"cpu": "500m", "memory": "256Mi"},
                        },
                        "securityContext": {
                            "allowPrivilegeEscalation": False,
                            "privileged": False,
                            "readOnlyRootFilesystem": True,
                            "runAsNonRoot": True,
                            "runAsUser": 10001,
                            "capabilities": {"drop": ["ALL"]},
                            "seccompProfile": {"type": "RuntimeDefault"},
                        },
                    }
                ],
            },
        },
    },
}

NETWORK_POLICY: dict[str, Any] = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "demo", "namespace": "apps"},
    "spec": {
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "demo"}},
        "policyTypes": ["Ingress"],
        "ingress": [{"ports": [{"port": 8080}]}],
    },
}

HTTP_ROUTE: dict[str, Any] = {
    "apiVersion": "gateway.networking.k8s.io/v1",
    "kind": "HTTPRoute",
    "metadata": {"name": "demo", "namespace": "apps"},
    "spec": {
        "parentRefs": [{"name": "public", "namespace": "gateway", "sectionName": "apps"}],
        "hostnames": ["demo.apps.prompt2prod.localhost"],
        "rules": [{"backendRefs": [{"name": "demo", "port": 8080}]}],
    },
}


def manifest(*documents: dict[str, Any]) -> str:
    return yaml.safe_dump_all(documents, sort_keys=False)


def changed(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `document` with the value at `path` (dotted; integers index lists) replaced."""
    out = copy.deepcopy(document)
    node: Any = out
    *parents, last = [int(part) if part.isdigit() else part for part in path.split(".")]
    for part in parents:
        node = node[part]
    node[last] = value
    return out


#: Service settings that turn the checks on with the repo's tools (`make install`).
CHECKS_ON: dict[str, Any] = {"checks_enabled": True, "checks_bin_dir": BIN_DIR, "checkov_path": CHECKOV}


def checker(**overrides: Any) -> Checker:
    """A checker with the repo's tools (`make install`), `overrides` as settings."""
    assert CHECKOV.is_file(), f"{CHECKOV} missing: run `make install`"
    values: dict[str, Any] = {"checks_bin_dir": BIN_DIR, "checkov_path": CHECKOV, **overrides}
    return Checker(Settings(**values), Metrics())
