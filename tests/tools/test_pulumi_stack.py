"""`make up STACK=dev` selects the stack on the backend the CLI will really use, creating it only where safe.

Guards: the CLI's backend is PULUMI_BACKEND_URL, else Pulumi.yaml's backend.url, else
the stored login. A local file backend gets its folder and `stack select --create`; a shared backend never gets
a stack created by a mistyped STACK=.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from tests.support import REPO, run_module
from tools.pulumi_stack import Backend, prepare, resolve_backend

PROJECT_FILE = REPO / "Pulumi.yaml"


def test_the_committed_project_file_selects_a_local_file_backend_in_the_home_folder(tmp_path: Path) -> None:
    backend = resolve_backend({}, PROJECT_FILE)
    assert backend == Backend(url="file://~/.pulumi-prompt2prod", source="Pulumi.yaml backend.url")
    command = prepare("dev", backend, create=True, home=tmp_path, cwd=REPO)
    assert command == ["pulumi", "stack", "select", "--create", "dev"]
    assert (tmp_path / ".pulumi-prompt2prod").is_dir(), "the CLI cannot open a file backend whose folder is missing"


def test_pulumi_backend_url_wins_over_the_project_file_and_a_shared_backend_never_gets_a_stack(tmp_path: Path) -> None:
    team = "azblob://pulumi-state?storage_account=stprompt2prodstate"
    backend = resolve_backend({"PULUMI_BACKEND_URL": team}, PROJECT_FILE)
    assert backend == Backend(url=team, source="PULUMI_BACKEND_URL")
    assert prepare("prdo", backend, create=True, home=tmp_path, cwd=REPO) == ["pulumi", "stack", "select", "prdo"]
    assert list(tmp_path.iterdir()) == []


def test_a_relative_file_backend_is_resolved_against_the_project_and_query_options_are_not_part_of_it(
    tmp_path: Path,
) -> None:
    backend = resolve_backend({"PULUMI_BACKEND_URL": "file://state/pulumi?no_tmp_dir=true"}, PROJECT_FILE)
    prepare("dev", backend, create=True, home=tmp_path / "home", cwd=tmp_path)
    assert (tmp_path / "state" / "pulumi").is_dir()


def test_without_a_project_backend_the_stored_login_decides_and_nothing_is_created(tmp_path: Path) -> None:
    project = tmp_path / "Pulumi.yaml"
    project.write_text(yaml.safe_dump({"name": "prompt2prod", "runtime": "python"}), encoding="utf-8")
    backend = resolve_backend({}, project)
    assert backend.url is None
    assert prepare("dev", backend, create=True, home=tmp_path, cwd=tmp_path) == ["pulumi", "stack", "select", "dev"]


def test_destroy_selects_an_existing_local_stack_and_never_creates_one(tmp_path: Path) -> None:
    backend = Backend(url=f"file://{tmp_path / 'state'}", source="PULUMI_BACKEND_URL")
    assert prepare("dev", backend, create=False, home=tmp_path, cwd=REPO) == ["pulumi", "stack", "select", "dev"]


def test_a_missing_stack_on_a_shared_backend_says_how_to_create_it_deliberately(tmp_path: Path) -> None:
    fake = tmp_path / "bin" / "pulumi"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho \"error: no stack named '$3' found\" >&2\nexit 255\n", encoding="utf-8")
    fake.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{fake.parent}{os.pathsep}{os.environ['PATH']}",
        "PULUMI_BACKEND_URL": "https://api.pulumi.com",
    }
    result = run_module("tools.pulumi_stack", "--stack", "prdo", "--create", env=env, timeout=60)
    assert result.returncode == 255
    assert "State backend: https://api.pulumi.com (from PULUMI_BACKEND_URL)" in result.stdout
    assert "no stack named 'prdo' found" in result.stderr
    assert "pulumi stack init prdo" in result.stderr
