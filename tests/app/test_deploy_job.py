"""The deploy job's scripts do what the workflow promises, run by bash as GitHub runs them (`-eo pipefail`), against
stand-ins for `docker` and `kubectl` that record their arguments and answer as the real ones do.

Guards: the registry password reaches `docker login` on stdin only, never on a command line, and no login is tried
without credentials; the digest is read from what `docker push` printed, and a push that fails or prints no digest
fails the step; the Deployment is applied with the image set to exactly that digest, together with the other
manifests; the kubeconfig is written readable by its owner only; the job waits for the rollout of its Deployment.
"""

import os
import re
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.ci_workflow import ci_workflow
from app.deploy_scaffold import deploy_manifests
from app.settings import Settings

SETTINGS = Settings(registry_server="registry.example.com:5000", apps_namespace="tenant-apps")
PROJECT = "todo"
DIGEST = "sha256:" + "ab" * 32
SECRETS = {
    "REGISTRY_USERNAME": "robot",
    "REGISTRY_PASSWORD": "s3cr3t-pw",
    "KUBE_CONFIG": "apiVersion: v1\nkind: Config\n",
}

# Each stand-in appends one line per call to $CALLS: the program, then its arguments separated by tabs; stdin
# goes to $CALLS.stdin.
DOCKER = """#!/bin/bash
printf 'docker\\t%s\\n' "$(IFS=$'\\t'; echo "$*")" >> "$CALLS"
case "$1" in
  login) cat >> "$CALLS.stdin" ;;
  push)
    [ -n "$PUSH_FAILS" ] && { echo "denied: requested access to the resource is denied" >&2; exit 1; }
    echo "The push refers to repository [${2%:*}]"
    echo "5f70bf18a086: Pushed"
    [ -n "$PUSH_PRINTS_NO_DIGEST" ] || echo "${2##*:}: digest: $PUSHED_DIGEST size: 1570" ;;
esac
"""
# `set image --local -o yaml` prints the Deployment with the container's image replaced, as kubectl does.
KUBECTL = """#!/bin/bash
printf 'kubectl\\t%s\\n' "$(IFS=$'\\t'; echo "$*")" >> "$CALLS"
if [ "$1 $2 $3" = "set image --local" ]; then
  sed "s|^\\( *image: \\).*|\\1${6#*=}|" "$5"
fi
[ "$1" = apply ] && ls "$3" > "$CALLS.applied" && cat "$3/deployment.yaml" > "$CALLS.deployment"
[ "$1" = apply ] && stat -c '%a' "$KUBECONFIG" > "$CALLS.kubeconfig-mode"
exit 0
"""


def steps() -> dict[str, dict[str, Any]]:
    job = yaml.safe_load(ci_workflow("python", PROJECT, SETTINGS))["jobs"]["deploy"]
    return {step.get("id") or step.get("name", ""): step | {"job_env": job["env"]} for step in job["steps"]}


def expression_value(value: str, outputs: dict[str, str]) -> str:
    """A step's `env:` value as GitHub would pass it: secrets from the environment, step outputs."""
    match = re.fullmatch(r"\$\{\{ (secrets|steps\.push\.outputs)\.(\w+) \}\}", value)
    if match is None:
        return value
    source = SECRETS if match.group(1) == "secrets" else outputs
    return source.get(match.group(2), "")


@pytest.fixture
def runner(tmp_path: Path) -> Path:
    """A checkout of the project with `deploy/`, and `bin/` holding the stand-ins."""
    for path, text in deploy_manifests(PROJECT, SETTINGS).items():
        (tmp_path / "work" / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "work" / path).write_text(text)
    (tmp_path / "bin").mkdir()
    for name, script in (("docker", DOCKER), ("kubectl", KUBECTL)):
        (tmp_path / "bin" / name).write_text(script)
        (tmp_path / "bin" / name).chmod(0o755)
    (tmp_path / "temp").mkdir()
    return tmp_path


def run(
    runner: Path, step: dict[str, Any], outputs: dict[str, str] | None = None, extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": f"{runner / 'bin'}:{os.environ['PATH']}",
        "CALLS": str(runner / "calls"),
        "RUNNER_TEMP": str(runner / "temp"),
        "GITHUB_OUTPUT": str(runner / "output"),
        "GITHUB_SHA": "c0ffee" * 6 + "beef",
        "PUSHED_DIGEST": DIGEST,
        **step["job_env"],
        **{name: expression_value(value, outputs or {}) for name, value in step.get("env", {}).items()},
        **(extra or {}),
    }
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=runner / "work",
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def calls(runner: Path) -> list[list[str]]:
    path = runner / "calls"
    return [line.split("\t") for line in path.read_text().splitlines()] if path.exists() else []


def test_login_sends_the_password_on_stdin_only(runner: Path) -> None:
    result = run(runner, steps()["Log in to the registry"])

    assert result.returncode == 0, result.stderr
    (login,) = calls(runner)
    assert login[:3] == ["docker", "login", "registry.example.com:5000"]
    assert "s3cr3t-pw" not in login
    assert (runner / "calls.stdin").read_text().strip() == "s3cr3t-pw"


def test_no_login_without_credentials(runner: Path) -> None:
    result = run(runner, steps()["Log in to the registry"], extra={"REGISTRY_USERNAME": "", "REGISTRY_PASSWORD": ""})

    assert result.returncode == 0, result.stderr
    assert calls(runner) == []


def test_the_digest_is_the_one_docker_push_printed(runner: Path) -> None:
    result = run(runner, steps()["push"])

    assert result.returncode == 0, result.stderr
    assert (runner / "output").read_text() == f"digest={DIGEST}\n"
    build, push = calls(runner)
    assert build[:2] == ["docker", "build"]
    assert push == ["docker", "push", f"registry.example.com:5000/{PROJECT}:{'c0ffee' * 6}beef"]


@pytest.mark.parametrize("failure", ["PUSH_FAILS", "PUSH_PRINTS_NO_DIGEST"])
def test_a_push_that_fails_or_names_no_digest_fails_the_step(runner: Path, failure: str) -> None:
    result = run(runner, steps()["push"], extra={failure: "1"})

    assert result.returncode != 0
    assert not (runner / "output").exists() or "digest=" not in (runner / "output").read_text()


def test_apply_runs_the_pushed_digest_with_every_manifest_and_waits_for_the_rollout(runner: Path) -> None:
    result = run(runner, steps()["Apply deploy/ with the pushed digest and wait for the rollout"], {"digest": DIGEST})

    assert result.returncode == 0, result.stderr
    kubectl = [call[1:] for call in calls(runner)]
    assert kubectl[0][:3] == ["set", "image", "--local"]
    assert kubectl[0][5] == f"app=registry.example.com:5000/{PROJECT}@{DIGEST}"
    assert kubectl[1] == ["apply", "--filename", str(runner / "temp" / "deploy") + "/"]
    assert kubectl[2] == ["rollout", "status", f"deployment/{PROJECT}", "--namespace", "tenant-apps", "--timeout", "5m"]
    applied = (runner / "calls.applied").read_text().split()
    assert sorted(applied) == ["deployment.yaml", "httproute.yaml", "networkpolicy.yaml", "service.yaml"]
    deployment = yaml.safe_load((runner / "calls.deployment").read_text())
    image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == f"registry.example.com:5000/{PROJECT}@{DIGEST}"
    kubeconfig = runner / "temp" / "kubeconfig"
    assert kubeconfig.read_text() == SECRETS["KUBE_CONFIG"] + "\n"
    assert (runner / "calls.kubeconfig-mode").read_text().strip() == "600"
    assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600
