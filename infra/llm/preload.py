"""The model preload Job's spec: pure functions, no resources (the `Ollama` component declares them).

The Job runs `infra/llm/scripts/ollama_preload.py` (shipped in a ConfigMap) in a pinned `python` image: the Ollama
image has neither Python nor curl, and a script that speaks the HTTP API can be tested against a fake server.
The script asks the running Ollama server to pull the missing models, so the models land on the server's own
volume and the Job needs no volume of its own.

Re-run only when the model list changes: the Job's name carries a short hash of the sorted model list and the
prune flag (`preload_job_name`). Kubernetes Job specs are immutable, so a new name is a replacement that
`pulumi preview` shows; an unchanged list yields the same name and spec, so `pulumi up` leaves the finished
Job alone. The models are passed sorted, so reordering the list changes nothing.

Lifecycle choices (set on the Job in `infra.llm.ollama`): no `ttlSecondsAfterFinished`, because once Kubernetes
deleted the Job, a refresh would find it gone and `pulumi up` would re-create (and re-run) it, so the finished
Job stays as the record of the last preload; `deleteBeforeReplace`, so that a replacement never collides with
the old Job's name; and `pulumi.com/replaceUnready`, so that a failed Job is replaced (run again) by the next
`up` instead of being awaited again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s

from infra import pod_spec, topology, versions
from infra.config.base import Resources

SCRIPT_FILE = "ollama_preload.py"
SCRIPT_DIR = "/opt/preload"
PRELOAD_UID = 10002
JOB_NAME_PREFIX = "ollama-preload"
WAIT_FOR_SERVER_SECONDS = 300


def preload_labels() -> dict[str, str]:
    return topology.labels("ollama", "model-preload")


@cache
def preload_script() -> str:
    """The script's source, exactly as the Job runs it."""
    return (Path(__file__).parent / "scripts" / SCRIPT_FILE).read_text()


def preload_fingerprint(models: Sequence[str], prune: bool) -> str:
    """10 hex characters that change exactly when the set of models or the prune flag changes."""
    document = json.dumps({"models": sorted(models), "prune": prune}, separators=(",", ":"))
    return hashlib.sha256(document.encode()).hexdigest()[:10]


def preload_job_name(models: Sequence[str], prune: bool) -> str:
    return f"{JOB_NAME_PREFIX}-{preload_fingerprint(models, prune)}"


def preload_container(
    *, image_tag: str, ollama_url: pulumi.Input[str], models: Sequence[str], prune: bool
) -> k8s.core.v1.ContainerArgsDict:
    return {
        "name": "preload",
        "image": f"{versions.PYTHON_IMAGE}:{image_tag}",
        "image_pull_policy": "IfNotPresent",
        "command": ["python", f"{SCRIPT_DIR}/{SCRIPT_FILE}"],
        "env": [
            {"name": "OLLAMA_HOST", "value": ollama_url},
            {"name": "PRELOAD_MODELS", "value": " ".join(sorted(models))},
            {"name": "PRELOAD_PRUNE", "value": "true" if prune else "false"},
            {"name": "PRELOAD_WAIT_SECONDS", "value": str(WAIT_FOR_SERVER_SECONDS)},
            {"name": "PYTHONUNBUFFERED", "value": "1"},
            {"name": "PYTHONDONTWRITEBYTECODE", "value": "1"},
        ],
        "volume_mounts": [{"name": "script", "mount_path": SCRIPT_DIR, "read_only": True}],
        "resources": pod_spec.resource_requirements(
            Resources(cpu_request="50m", memory_request="64Mi", cpu_limit="500m", memory_limit="128Mi")
        ),
        "security_context": pod_spec.container_security_context(PRELOAD_UID),
    }


def preload_pod_spec(
    *, container: k8s.core.v1.ContainerArgsDict, service_account: pulumi.Input[str], config_map: pulumi.Input[str]
) -> k8s.core.v1.PodSpecArgsDict:
    return {
        "service_account_name": service_account,
        "automount_service_account_token": False,
        # The Job's own retries (backoffLimit) start a fresh pod each time, so every attempt is a separate log.
        "restart_policy": "Never",
        "security_context": pod_spec.pod_security_context(PRELOAD_UID),
        "containers": [container],
        "volumes": [{"name": "script", "config_map": {"name": config_map, "default_mode": 0o444}}],
    }


def preload_job_spec(
    *, pod_spec: k8s.core.v1.PodSpecArgsDict, backoff_limit: int, timeout_minutes: int
) -> k8s.batch.v1.JobSpecArgsDict:
    # No ttlSecondsAfterFinished: if Kubernetes deleted the finished Job, the next refresh would find it gone and
    # `pulumi up` would create (and so re-run) it. The finished Job and its pod's log record the last preload.
    return {
        "backoff_limit": backoff_limit,
        "active_deadline_seconds": timeout_minutes * 60,
        "template": {"metadata": {"labels": preload_labels()}, "spec": pod_spec},
    }
