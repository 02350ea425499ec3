"""Rollback as `make rollback` and the workflow run it, with everything but Pulumi's own work real.

`python -m tools.rollback` runs as a process against a fake GitHub deployments API over HTTP, with fake `pulumi`
and `gh` executables first on PATH that log what they are asked. Guards: the target comes from the recorded
verdicts, its attestation is checked (on GHCR, where the digest was attested) before anything changes, the
config keys and flags are those of a deploy, nothing runs when there is no target or the attestation fails, and
deciding plus issuing the commands takes a few seconds of the minute a rollback may take. The render comparison
shows that changing the image digest changes the generator's Deployment and nothing else: no volume, no Key Vault,
no other workload.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from infra.verify.deployments import main as deployments_main
from tests.delivery.fakes import FakeGitHub
from tests.support import RenderStack, run_module
from tests.support.processes import ServerThread

REPOSITORY = "example/prompt2prod"
TOKEN = "ghs_fake0123456789"
REGISTRY = "prompt2prodacr7f3a2c.azurecr.io/prompt2prod-generator"
ATTESTED = "ghcr.io/example/prompt2prod-generator"
HISTORIES = Path(__file__).parent / "histories"
COMMAND_BUDGET_SECONDS = 5.0


def image(letter: str) -> str:
    return f"{REGISTRY}@sha256:{letter * 64}"


@dataclass
class Tools:
    github: FakeGitHub
    api_url: str
    bin: Path
    log: Path
    outputs: Path

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GH_"))},
            "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
            "GITHUB_API_URL": self.api_url,
            "GITHUB_REPOSITORY": REPOSITORY,
            "GH_TOKEN": TOKEN,
            "FAKE_LOG": str(self.log),
            "FAKE_OUTPUTS": str(self.outputs),
            **extra,
        }

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []


def _executable(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    with ServerThread() as running:
        yield running


@pytest.fixture
def tools(server: ServerThread, tmp_path: Path) -> Tools:
    github = FakeGitHub(repository=REPOSITORY, token=TOKEN)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _executable(
        bin_dir / "pulumi",
        '#!/bin/sh\nif [ "$1 $2" = "stack output" ]; then cat "$FAKE_OUTPUTS"; exit 0; fi\n'
        'printf "pulumi %s\\n" "$*" >> "$FAKE_LOG"\nexit "${FAKE_PULUMI_EXIT:-0}"\n',
    )
    _executable(bin_dir / "gh", '#!/bin/sh\nprintf "gh %s\\n" "$*" >> "$FAKE_LOG"\nexit "${FAKE_GH_EXIT:-0}"\n')
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"generatorImage": image("c"), "environment": "prod"}))
    return Tools(github, server.serve(github.app()), bin_dir, tmp_path / "calls.log", outputs)


def rollback(tools: Tools, *args: str, **env: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    completed = run_module(
        "tools.rollback", "--stack", "prod", "--environment", "production", *args, env=tools.env(**env), timeout=60
    )
    return completed, time.monotonic() - started


def test_the_recorded_last_good_image_is_attested_then_deployed_within_seconds(tools: Tools, tmp_path: Path) -> None:
    tools.github.deployments = json.loads((HISTORIES / "last_good_found.json").read_text())
    summary = tmp_path / "summary.md"

    completed, seconds = rollback(tools, "--summary", str(summary))

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert tools.calls() == [
        f"gh attestation verify oci://{ATTESTED}@sha256:{'b' * 64} --repo {REPOSITORY} "
        f"--signer-workflow {REPOSITORY}/.github/workflows/main.yml --source-ref refs/heads/main",
        f"pulumi config set --stack prod --path generator.imageRepository {REGISTRY}",
        f"pulumi config set --stack prod --path generator.imageDigest sha256:{'b' * 64}",
        "pulumi up --stack prod --yes --non-interactive --diff --policy-pack policy",
    ]
    assert f"Rolled back `prod` from `{image('c')}` to `{image('b')}`" in summary.read_text()
    assert "decided in " in completed.stdout
    assert seconds < COMMAND_BUDGET_SECONDS, f"decision and commands took {seconds:.1f} s"


def test_with_nothing_to_roll_back_to_no_command_runs_and_it_says_why(tools: Tools) -> None:
    tools.github.deployments = json.loads((HISTORIES / "same_digest_failing_twice.json").read_text())

    completed, _ = rollback(tools)

    assert completed.returncode == 1
    assert tools.calls() == []
    assert f"No rollback of `prod` from `{image('c')}`: no image to roll back to: {image('a')}" in completed.stdout


def test_an_image_without_its_attestation_is_never_deployed(tools: Tools) -> None:
    tools.github.deployments = json.loads((HISTORIES / "last_good_found.json").read_text())

    completed, _ = rollback(tools, FAKE_GH_EXIT="1")

    assert completed.returncode == 1
    assert [call.split()[0] for call in tools.calls()] == ["gh"]
    assert "Rollback failed:" in completed.stdout


def test_an_image_given_by_hand_must_be_a_digest(tools: Tools) -> None:
    completed, _ = rollback(tools, "--image", f"{REGISTRY}:0.1.0")

    assert completed.returncode == 2
    assert "is not pinned by digest" in completed.stderr
    assert tools.calls() == []


def test_a_bad_token_is_reported_and_nothing_runs(tools: Tools) -> None:
    completed, _ = rollback(tools, GH_TOKEN="wrong")

    assert completed.returncode == 1
    assert "answered 401" in completed.stderr
    assert tools.calls() == []


def test_a_recorded_verdict_is_read_back_by_the_next_decision(
    tools: Tools, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in tools.env(GITHUB_SHA="ab" * 20, GITHUB_REF_NAME="main").items():
        monkeypatch.setenv(name, value)
    for letter, result in (("a", "verified"), ("c", "failed")):
        outputs = tmp_path / f"{letter}.json"
        outputs.write_text(json.dumps({"generatorImage": image(letter)}))
        arguments = ["record", "--environment", "production", "--outputs", str(outputs), "--result", result]
        assert deployments_main(arguments) == 0

    requests = [deployment["_request"] for deployment in tools.github.deployments]
    assert [request["payload"]["verified"] for request in requests] == [True, False]
    assert all(request["required_contexts"] == [] and request["auto_merge"] is False for request in requests)
    assert [s[0]["state"] for s in tools.github.statuses.values()] == ["success", "failure"]
    assert all(s[0]["auto_inactive"] is False for s in tools.github.statuses.values())
    completed, _ = rollback(tools)
    assert completed.returncode == 0, completed.stderr
    assert f"generator.imageDigest sha256:{'a' * 64}" in tools.calls()[2]


def test_a_rollback_changes_the_generators_image_and_nothing_else(render_stack: RenderStack) -> None:
    def render(letter: str) -> dict[str, dict[str, object]]:
        pinned = {"imageRepository": REGISTRY, "imageDigest": f"sha256:{letter * 64}"}
        result = render_stack("prod", {"generator": pinned})
        return {resource.urn: resource.inputs for resource in result.resources}

    failing, rolled_back = render("c"), render("b")

    assert failing.keys() == rolled_back.keys()
    changed = sorted(urn for urn in failing if failing[urn] != rolled_back[urn])
    assert changed == [urn for urn in failing if urn.endswith("$kubernetes:apps/v1:Deployment::generator-deployment")]
    containers = rolled_back[changed[0]]["spec"]["template"]["spec"]["containers"]  # type: ignore[index]
    assert [container["image"] for container in containers] == [image("b")]
