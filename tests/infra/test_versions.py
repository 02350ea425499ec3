"""Every pinned third-party version lives in `infra.versions`: what the renders install is exactly what it says.

Guards a chart version or an image written again somewhere else (the update bot would bump one copy only), and
an unpinned chart or image slipping into a render.
"""

from __future__ import annotations

from typing import Any

import pytest

from infra import versions
from infra.render.manifests import is_kubernetes_object, manifest
from tests.support import RenderStack

CHARTS = [value for value in vars(versions).values() if isinstance(value, versions.Chart)]
# The generator is our own image (its tag is `generator.imageTag`, set by CI); every other image is third-party.
THIRD_PARTY_IMAGES = {
    versions.OLLAMA_IMAGE: versions.OLLAMA_TAG,
    versions.PYTHON_IMAGE: versions.PYTHON_TAG,
    versions.REGISTRY_IMAGE: f"{versions.REGISTRY_TAG}@{versions.REGISTRY_DIGEST}",
    versions.PAUSE_IMAGE: versions.PAUSE_TAG,
}


def _images(document: dict[str, Any]) -> list[str]:
    spec = document.get("spec", {})
    pod = spec.get("template", {}).get("spec", {})
    return [container["image"] for container in pod.get("containers", [])]


GPU = {"cluster": {"aks": {"gpuPool": {}}}, "ollama": {"gpu": {"enabled": True}}}


@pytest.mark.parametrize(("stack", "overrides"), [("dev", None), ("prod", GPU)])
def test_every_helm_release_installs_a_chart_pinned_in_versions(
    stack: str, overrides: dict[str, Any] | None, render_stack: RenderStack
) -> None:
    releases = render_stack(stack, overrides).of_type("kubernetes:helm.sh/v3:Release")
    pinned = {
        (f"{chart.repository}/{chart.name}" if chart.is_oci else chart.name, chart.version): chart for chart in CHARTS
    }
    installed = set()
    for release in releases:
        chart = pinned.get((release.inputs["chart"], release.inputs["version"]))
        assert chart is not None, f"{release.name}: {release.inputs['chart']} {release.inputs['version']}"
        assert chart.is_oci or release.inputs["repositoryOpts"] == {"repo": chart.repository}
        installed.add(chart.name)
    if overrides is not None:  # prod with a GPU pool installs every chart: no pin is dead
        assert installed == {chart.name for chart in CHARTS}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_third_party_image_is_the_pinned_one(stack: str, render_stack: RenderStack) -> None:
    documents = [manifest(r) for r in render_stack(stack).resources if is_kubernetes_object(r)]
    images = [image for document in documents for image in _images(document) if "prompt2prod-generator" not in image]
    assert images
    for image in images:
        repository, _, reference = image.partition(":")
        assert THIRD_PARTY_IMAGES.get(repository) == reference, image
