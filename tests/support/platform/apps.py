"""A render hosting one generated app: the platform declares no app itself, so the checks add the manifests the
scaffold (`app.deploy_scaffold`) writes for a project, with the settings the rendered generator pod starts with, to
see that the platform lets it be reached, and only as intended. `infra.contract.apps` is the platform's own model
of such an app; `tests/platform/test_generated_apps.py` keeps the two in agreement."""

from __future__ import annotations

import copy
from typing import Any

from app import deploy_scaffold
from app.deploy_scaffold import manifest_objects
from app.settings import Settings
from infra import topology
from infra.contract.apps import SAMPLE_APP
from tests.support.platform.model import Render, generator_container

# The settings of the service that say where a generated project deploys (the rest does not reach its manifests).
HOSTING_SETTINGS = tuple(name.upper() for name in deploy_scaffold.HOSTING_SETTINGS)


def generator_env(render: Render) -> dict[str, str]:
    """The literal environment variables of the rendered generator container."""
    return {e["name"]: e["value"] for e in generator_container(render).get("env", []) if "value" in e}


def hosting_settings(render: Render) -> Settings:
    """What the rendered generator is told about where its projects deploy, read as the service reads it."""
    env = generator_env(render)
    missing = [name for name in HOSTING_SETTINGS if name not in env]
    assert not missing, f"{render.stack}: the generator pod lacks {missing}"
    return Settings.model_validate({name.lower(): env[name] for name in HOSTING_SETTINGS})


def scaffolded_app(name: str, settings: Settings) -> list[dict[str, Any]]:
    """The objects of a generated project's `deploy/`, as its deploy job applies them."""
    return list(manifest_objects(name, settings).values())


def hosting_an_app(render: Render, name: str = SAMPLE_APP) -> Render:
    """A copy of `render` with the app `name` deployed in the apps namespace (unchanged if it is there already)."""
    present = any(
        o["metadata"].get("namespace") == topology.NAMESPACE_APPS and o["metadata"]["name"] == name
        for o in render.of_kind("Deployment")
    )
    if present:
        return render
    hosted = copy.deepcopy(render)
    hosted.objects += scaffolded_app(name, hosting_settings(render))
    return hosted
