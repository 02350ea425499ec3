"""Inputs for the policy pack's tests: a resource that passes every rule, to break one field at a time."""

from __future__ import annotations

from typing import Any

from policy.rules import Resource


def deployment(**container_overrides: Any) -> Resource:
    """A Deployment that satisfies every resource rule; override container fields to break one."""
    container: dict[str, Any] = {
        "name": "app",
        "image": "registry.example.com/app:1.2.3",
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "256Mi"}},
        "livenessProbe": {"httpGet": {"path": "/health", "port": 8000}},
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 8000}},
        "securityContext": {"readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False},
    }
    container.update(container_overrides)
    inputs = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"securityContext": {"runAsNonRoot": True, "runAsUser": 10001}, "containers": [container]},
            },
        },
    }
    return Resource(
        "kubernetes:apps/v1:Deployment",
        "web-deploy",
        "urn:pulumi:dev::p::kubernetes:apps/v1:Deployment::web-deploy",
        inputs,
    )
