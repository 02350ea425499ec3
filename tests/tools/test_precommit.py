"""The pre-commit hooks run offline, with the tools `make install` put in .venv/ (the versions `make test` uses).

Guards a hook that would download its tool (it fails on a machine without internet, or checks with another
version than CI), and a hook whose tool left the venv (it would fail on every commit).
"""

from __future__ import annotations

import shlex

import yaml

from tests.support import REPO

CONFIG = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())


def test_every_hook_is_local_and_runs_a_tool_of_the_venv() -> None:
    assert [repo["repo"] for repo in CONFIG["repos"]] == ["local"]
    hooks = CONFIG["repos"][0]["hooks"]
    assert {hook["id"] for hook in hooks} == {"ruff", "ruff-format", "mypy", "actionlint", "zizmor"}
    for hook in hooks:
        executable = shlex.split(hook["entry"])[0]
        assert hook["language"] == "system", hook["id"]
        assert executable.startswith(".venv/bin/"), hook["id"]
        assert (REPO / executable).is_file(), f"{hook['id']}: {executable} is not installed by make install"
