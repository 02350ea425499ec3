"""One way to declare a Helm release of a pinned chart (`infra.versions`), from a Helm repository or an OCI registry.

Every chart is a `helm.v3.Release` (applied by Helm itself, hooks included); each caller says why in its module.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra.versions import Chart


def helm_release(
    resource_name: str,
    chart: Chart,
    *,
    namespace: pulumi.Input[str],
    values: Mapping[str, Any],
    opts: pulumi.ResourceOptions,
    release_name: str | None = None,
    **settings: Any,
) -> k8s.helm.v3.Release:
    """`settings` are further `ReleaseArgs` (e.g. `atomic`, `timeout`, `max_history`); `release_name` None lets
    Pulumi name the release."""
    source: dict[str, Any] = (
        {"chart": f"{chart.repository}/{chart.name}"}
        if chart.is_oci
        else {"chart": chart.name, "repository_opts": k8s.helm.v3.RepositoryOptsArgs(repo=chart.repository)}
    )
    return k8s.helm.v3.Release(
        resource_name,
        k8s.helm.v3.ReleaseArgs(
            name=release_name, version=chart.version, namespace=namespace, values=values, **source, **settings
        ),
        opts=opts,
    )
