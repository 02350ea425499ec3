"""`python -m infra.verify` as the deploy workflow runs it: a real process reading the stack outputs and the key
file, exiting 0 only when every check passes, printing one line per check and appending the job summary's table;
the key never appears in what it prints or writes, and unusable inputs stop it with exit 2 and a clear line.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from infra.verify.cli import main
from infra.verify.credentials import ENV_VAR
from tests.delivery.conftest import API_KEY, Running
from tests.support import run_module

QUICK = ["--timeout", "2", "--generation-timeout", "10", "--settle-timeout", "3"]


def write_outputs(path: Path, document: dict[str, object]) -> Path:
    path.write_text(json.dumps(document))
    return path


def run_verify(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    return run_module("infra.verify", *args, env={**clean, **(env or {})})


def test_a_healthy_stack_exits_0_with_a_line_per_check_and_the_summary_table(
    platform: Running, tmp_path: Path, key_file: Path
) -> None:
    outputs = write_outputs(tmp_path / "outputs.json", platform.outputs())
    summary, results = tmp_path / "summary.md", tmp_path / "results.json"
    summary.write_text("earlier steps' summary\n")

    completed = run_verify(
        [
            *("--outputs", str(outputs), "--api-key-file", str(key_file)),
            *("--prometheus-url", platform.healthy_prometheus, "--loki-url", platform.loki_url),
            *("--summary", str(summary), "--json", str(results), *QUICK),
        ]
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
    lines = completed.stdout.splitlines()
    assert [line.split()[0] for line in lines[:-1]] == ["PASS"] * 7
    assert lines[-1] == "7 of 7 checks passed"
    table = summary.read_text()
    assert table.startswith("earlier steps' summary\n### Verification of `dev` (http://generator.verify.invalid:")
    assert ": ✅ all 7 checks passed" in table
    assert "| Check | Result | Time | Detail |" in table
    assert [entry["passed"] for entry in json.loads(results.read_text())] == [True] * 7
    for text in (completed.stdout, completed.stderr, table, results.read_text()):
        assert API_KEY not in text


def test_a_failed_check_exits_1_and_the_summary_says_which(platform: Running, tmp_path: Path) -> None:
    outputs = write_outputs(tmp_path / "outputs.json", platform.outputs())
    summary = tmp_path / "summary.md"

    completed = run_verify(
        [
            *("--outputs", str(outputs), "--prometheus-url", platform.broken_prometheus),
            *("--loki-url", platform.loki_url, "--summary", str(summary), *QUICK),
        ],
        env={ENV_VAR: API_KEY},
    )

    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "❌ 2 of 7 checks failed" in summary.read_text()
    failing = [line for line in completed.stdout.splitlines() if line.startswith("FAIL")]
    assert [line.split("  ")[1].strip() for line in failing] == ["Prometheus targets", "critical alerts"]
    assert API_KEY not in completed.stdout + completed.stderr + summary.read_text()


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (None, f"no API key: {ENV_VAR} is empty (give --api-key-file or set {ENV_VAR})"),
        ("two words", f"{ENV_VAR} holds more than one token"),
    ],
)
def test_without_a_usable_key_nothing_is_checked_and_it_exits_2(
    platform: Running,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    key: str | None,
    message: str,
) -> None:
    outputs = write_outputs(tmp_path / "outputs.json", platform.outputs())
    monkeypatch.delenv(ENV_VAR, raising=False)
    if key is not None:
        monkeypatch.setenv(ENV_VAR, key)

    code = main(["--outputs", str(outputs), "--prometheus-url", "http://x", "--loki-url", "http://y"])

    assert code == 2
    assert message in capsys.readouterr().err


def test_outputs_without_the_generator_url_are_named_and_it_exits_2(
    platform: Running, tmp_path: Path, key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = platform.outputs()
    del document["generatorUrl"]
    outputs = write_outputs(tmp_path / "outputs.json", document)

    code = main(
        ["--outputs", str(outputs), "--api-key-file", str(key_file), "--prometheus-url", "x", "--loki-url", "y"]
    )

    assert code == 2
    assert "generatorUrl: Field required" in capsys.readouterr().err


def test_the_key_cannot_be_given_on_the_command_line() -> None:
    completed = run_verify(["--outputs", "o.json", "--prometheus-url", "x", "--loki-url", "y", "--api-key", "k"])

    assert completed.returncode == 2
    assert "unrecognized arguments: --api-key k" in completed.stderr
