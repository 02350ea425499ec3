"""A render hosting one generated app: the platform declares no app itself, so the checks add the one of
`infra.contract.apps` (its Deployment, Service, NetworkPolicy and HTTPRoute, as a generated project applies them)
to see that the platform lets it be reached, and only as intended."""

from __future__ import annotations

import copy

from infra import topology
from infra.contract.apps import SAMPLE_APP, hosted_app_manifests
from tests.support.platform.model import Render


def hosting_an_app(render: Render, name: str = SAMPLE_APP) -> Render:
    """A copy of `render` with the app `name` deployed in the apps namespace (unchanged if it is there already)."""
    present = any(
        o["metadata"].get("namespace") == topology.NAMESPACE_APPS and o["metadata"]["name"] == name
        for o in render.of_kind("Deployment")
    )
    if present:
        return render
    hosted = copy.deepcopy(render)
    hosted.objects += hosted_app_manifests(name, str(render.outputs["appsDomain"]))
    return hosted
