"""Bad configuration is refused before anything is declared: exit 2, one line per problem naming the key,
and nothing written. Guards the promise that a typo or an unsafe prod value never half-creates a platform."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.config import deep_merge
from infra.config.environments import minimal_config
from infra.render.cli import EXIT_INVALID_CONFIG, main

PROD_BASE: dict[str, Any] = {f"prompt2prod:{key}": value for key, value in minimal_config("prod").items()}
DEV_BASE: dict[str, Any] = {f"prompt2prod:{key}": value for key, value in minimal_config("dev").items()}

# (case id, base, config overrides, expected text on one line of the error output)
CASES: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    ("wrong-type", DEV_BASE, {"prompt2prod:generator": {"replicas": "three"}}, "prompt2prod:generator.replicas:"),
    ("unknown-top-level-key", DEV_BASE, {"prompt2prod:olama": {"models": []}}, "prompt2prod:olama: unknown key"),
    (
        "unknown-nested-key",
        DEV_BASE,
        {"prompt2prod:ollama": {"storage": {"sise": "10Gi"}}},
        "prompt2prod:ollama.storage.sise: unknown key",
    ),
    (
        "unknown-deep-key",
        PROD_BASE,
        {"prompt2prod:cluster": {"aks": {"location": "westeurope", "systemPool": {"vmsize": "Standard_D4ds_v5"}}}},
        "prompt2prod:cluster.aks.systemPool.vmsize: unknown key",
    ),
    ("zero-size", DEV_BASE, {"prompt2prod:ollama": {"storage": {"size": "0Gi"}}}, "prompt2prod:ollama.storage.size:"),
    (
        "negative-limit",
        DEV_BASE,
        {"prompt2prod:generator": {"resources": {"cpuLimit": "-1"}}},
        "prompt2prod:generator.resources.cpuLimit:",
    ),
    ("zero-replicas", DEV_BASE, {"prompt2prod:generator": {"replicas": 0}}, "prompt2prod:generator.replicas:"),
    ("bad-model-name", DEV_BASE, {"prompt2prod:ollama": {"models": ["Llama 3"]}}, "prompt2prod:ollama.models[0]:"),
    (
        "bad-cidr",
        PROD_BASE,
        {"prompt2prod:cluster": {"aks": {"location": "westeurope", "vnetCidr": "10.0.0.0/33"}}},
        "prompt2prod:cluster.aks.vnetCidr:",
    ),
    (
        "bad-hostname",
        DEV_BASE,
        {"prompt2prod:gateway": {"generatorHostname": "Not_A_Host"}},
        "prompt2prod:gateway.generatorHostname:",
    ),
    (
        "latest-image-tag",
        DEV_BASE,
        {"prompt2prod:generator": {"imageTag": "latest"}},
        "prompt2prod:generator.imageTag:",
    ),
    (
        "bad-image-repository",
        DEV_BASE,
        {"prompt2prod:generator": {"imageRepository": "Registry/UPPER:tag"}},
        "prompt2prod:generator.imageRepository:",
    ),
    (
        "missing-prod-location",
        PROD_BASE,
        {"prompt2prod:cluster": {"aks": {"location": None}}},
        "prompt2prod:cluster.aks.location: required for prod",
    ),
    ("prod-without-tls", PROD_BASE, {"prompt2prod:gateway": {"tls": "none"}}, "prompt2prod:gateway.tls:"),
    (
        "prod-api-server-open-to-internet",
        PROD_BASE,
        {"prompt2prod:cluster": {"aks": {"location": "westeurope", "apiServerAuthorizedIpRanges": ["0.0.0.0/0"]}}},
        "prompt2prod:cluster.aks.apiServerAuthorizedIpRanges:",
    ),
    ("prod-single-replica", PROD_BASE, {"prompt2prod:generator": {"replicas": 1}}, "prompt2prod:generator.replicas:"),
    ("prod-on-k3s", PROD_BASE, {"prompt2prod:cluster": {"kind": "k3s"}}, "prompt2prod:cluster.kind:"),
    (
        "plaintext-secret",
        DEV_BASE,
        {"prompt2prod:cloudLlmApiKey": "sk-live-123"},
        "prompt2prod:cloudLlmApiKey: must be",
    ),
    ("missing-environment", {}, {"prompt2prod:ollama": {"models": ["llama3.2:3b"]}}, "prompt2prod:environment:"),
    ("unknown-environment", {"prompt2prod:environment": "staging"}, {}, "prompt2prod:environment:"),
    (
        "remote-k3s-without-ssh-key",
        DEV_BASE,
        {"prompt2prod:cluster": {"k3s": {"host": "k3s.example.internal"}}},
        "prompt2prod:sshPrivateKey: required",
    ),
    (
        "unpinned-k3s",
        DEV_BASE,
        {"prompt2prod:cluster": {"k3s": {"version": "stable"}}},
        "prompt2prod:cluster.k3s.version:",
    ),
    (
        "cloud-llm-over-http",
        DEV_BASE,
        {"prompt2prod:generator": {"cloud": {"baseUrl": "http://llm.example.com/v1"}}},
        "prompt2prod:generator.cloud.baseUrl:",
    ),
    (
        "generator-model-not-served",
        DEV_BASE,
        {"prompt2prod:generator": {"model": "mistral:7b"}},
        "prompt2prod:generator.model: 'mistral:7b' is not in ollama.models",
    ),
    (
        "limits-below-requests",
        DEV_BASE,
        {"prompt2prod:generator": {"resources": {"memoryRequest": "1Gi", "memoryLimit": "512Mi"}}},
        "prompt2prod:generator.resources: memoryLimit 512Mi is below memoryRequest 1Gi",
    ),
]


def _write_stack(project: Path, config: dict[str, Any]) -> None:
    project.mkdir(parents=True, exist_ok=True)
    (project / "Pulumi.bad.yaml").write_text(yaml.safe_dump({"config": config}))


@pytest.mark.parametrize(("base", "overrides", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_config_exits_2_naming_the_key_and_writes_nothing(
    base: dict[str, Any], overrides: dict[str, Any], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_stack(tmp_path / "project", deep_merge(base, overrides))
    out = tmp_path / "out"

    code = main(["--stack", "bad", "--out", str(out), "--project-dir", str(tmp_path / "project")])

    stderr = capsys.readouterr().err
    assert code == EXIT_INVALID_CONFIG
    assert expected in stderr
    assert "Traceback" not in stderr
    header, *problems = stderr.splitlines()
    assert header.endswith("invalid configuration:")
    # One format for every problem: `prompt2prod:<key>: <why>` (no bare `prompt2prod: <why>`).
    assert problems
    assert all(re.match(r"^  prompt2prod:[A-Za-z]\S*: \S", line) for line in problems), problems
    assert not out.exists()
    assert not list(tmp_path.glob("**/.render-*")), "a staging directory was left behind"


def test_every_problem_is_reported_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = deep_merge(
        PROD_BASE,
        {
            "prompt2prod:gateway": {"tls": "none"},
            "prompt2prod:ollama": {"models": ["ok:1", "Bad Name"]},
            "prompt2prod:typo": "x",
        },
    )
    _write_stack(tmp_path, config)

    code = main(["--stack", "bad", "--out", str(tmp_path / "out"), "--project-dir", str(tmp_path)])

    problems = [line for line in capsys.readouterr().err.splitlines() if line.strip().startswith("prompt2prod:")]
    assert code == EXIT_INVALID_CONFIG
    keys = {line.strip().split(": ")[0] for line in problems}
    assert {"prompt2prod:gateway.tls", "prompt2prod:ollama.models[1]", "prompt2prod:typo"} <= keys


def test_malformed_stack_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "Pulumi.bad.yaml").write_text("config: [unclosed\n")

    code = main(["--stack", "bad", "--out", str(tmp_path / "out"), "--project-dir", str(tmp_path)])

    assert code == EXIT_INVALID_CONFIG
    assert "Pulumi.bad.yaml: not valid YAML" in capsys.readouterr().err


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_committed_stack_files_are_valid(stack: str) -> None:
    from infra.config import parse_config
    from tests.support import stack_input

    given = stack_input(stack)
    assert parse_config(given.values, given.secret_keys).platform.environment == stack
