"""Any shape of value at any key is either accepted or refused with `prompt2prod:<key>: <why>` naming that key:
never a traceback, never a problem that names another key only.

Guards issue reports such as `environment` given a mapping (`TypeError: unhashable type`), a YAML date where text
is expected (`TypeError: Object of type date is not JSON serializable`) and a misspelt namespace that was silently
ignored (`prompt2prd:generator`) or reported as `prompt2prod:environment: got None` without naming the stray key.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from infra.config import PROJECT, parse_config
from infra.config.environments import ENVIRONMENTS, Environment, minimal_config
from infra.config.reference import key_rows
from infra.render.cli import EXIT_INVALID_CONFIG, main
from infra.render.stack_file import read_stack_file
from tests.support.config import problems_for, set_path

SHAPES: list[Any] = [{"a": 1}, [1, "x"], "2026-01-15", "", "x" * 300, 1.5, -1, 0, True, None]
PROBLEM_LINE = re.compile(r"^prompt2prod:(?P<key>[A-Za-z0-9_.\[\]\"':/-]+): \S")


def names(problem: str, key: str) -> bool:
    match = PROBLEM_LINE.match(problem)
    assert match, f"not a `prompt2prod:<key>: <why>` line: {problem!r}"
    found = match["key"]
    # The key itself, one of its items or keys, the section that holds it (checks across its keys), or a key that
    # this value makes necessary, saying why (`sshPrivateKey: required because cluster.k3s.host ...`).
    return found == key or found.startswith((f"{key}.", f"{key}[")) or key.startswith(f"{found}.") or key in problem


@pytest.mark.parametrize("environment", list(ENVIRONMENTS))
def test_every_shape_at_every_key_is_accepted_or_refused_naming_the_key(environment: Environment) -> None:
    keys = [row.key for row in key_rows() if row.key != "environment"]
    keys += sorted({key.rsplit(".", 1)[0] for key in keys if "." in key})
    unnamed = []
    for key in keys:
        for shape in SHAPES:
            document = minimal_config(environment)
            set_path(document, key, shape)
            problems = problems_for(document)
            if problems is not None and not any(names(problem, key) for problem in problems):
                unnamed.append(f"{key} = {shape!r}: {problems}")
    assert not unnamed, "\n".join(unnamed[:20])


@pytest.mark.parametrize("shape", SHAPES)
def test_environment_of_any_other_shape_is_refused_naming_it(shape: Any) -> None:
    problems = problems_for({"environment": shape if isinstance(shape, str) else json.dumps(shape)})
    assert problems is not None
    assert problems[-1].startswith("prompt2prod:environment: must be 'dev' or 'prod', got ")


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ("  prompt2prod:environment: {a: 1}\n", "prompt2prod:environment: must be 'dev' or 'prod', got {'a': 1}"),
        (
            "  prompt2prod:environment: dev\n  prompt2prod:generator: {imageTag: !!binary aGk=}\n",
            "prompt2prod:generator.imageTag: binary data",
        ),
        (
            "  prompt2prod:environment: dev\n  prompt2prod:ollama: {modelSizes: {1: 5Gi}}\n",
            "prompt2prod:ollama.modelSizes: the key 1 is not text",
        ),
        (
            "  prompt2prod:environment: dev\n  prompt2prod:generator: {replicas: .inf}\n",
            "prompt2prod:generator.replicas: inf is not a number",
        ),
        ("  environment: dev\n", "'environment': a config key is `namespace:name`"),
        (
            "  prompt2prod:environment: dev\n  prompt2prod:ollama: {pruneModels: yes}\n",
            "prompt2prod:ollama.pruneModels: expected true or false, got 'yes'",
        ),
        (
            "  prompt2prod:environment: dev\n  prompt2prd:generator: {replicas: 3}\n",
            "prompt2prd:generator: unknown namespace 'prompt2prd'; did you mean prompt2prod:generator?",
        ),
        (
            "  prompt2prod:environment: dev\n  prompt2pro:environment: prod\n",
            "prompt2pro:environment: unknown namespace",
        ),
        ("  prompt2prod:environment: dev\n  Prompt2Prod:ollama: {}\n", "Prompt2Prod:ollama: unknown namespace"),
        (
            "  prompt2prod:environment: dev\n  prompt2prod:olama: {}\n",
            "prompt2prod:olama: unknown key; did you mean ollama?",
        ),
    ],
    ids=[
        "environment-mapping",
        "binary",
        "number-key",
        "infinity",
        "no-namespace",
        "yes",
        "prompt2prd",
        "prompt2pro",
        "case",
        "olama",
    ],
)
def test_bad_stack_files_exit_2_naming_the_key(
    config: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Pulumi.t.yaml").write_text("config:\n" + config)

    code = main(["--stack", "t", "--out", str(tmp_path / "out"), "--project-dir", str(tmp_path)])

    stderr = capsys.readouterr().err
    assert code == EXIT_INVALID_CONFIG
    assert expected in stderr
    assert "Traceback" not in stderr
    assert not (tmp_path / "out").exists()


def test_the_stack_file_is_read_as_the_pulumi_cli_reads_it(tmp_path: Path) -> None:
    """Go's yaml.v3 (the CLI's) keeps dates and yes/no as text and passes a top-level scalar as written."""
    path = tmp_path / "Pulumi.t.yaml"
    path.write_text(
        "config:\n"
        "  prompt2prod:environment: dev\n"
        "  kubernetes:context: 1.30\n"
        "  prompt2prod:generator:\n"
        "    imageTag: 2026-01-15\n"
        "    replicas: 2\n"
        "    model: on\n"
        "    cloud: {x: 1:30}\n"
    )

    raw = read_stack_file(path)

    assert raw.values["kubernetes:context"] == "1.30"
    assert json.loads(raw.values["prompt2prod:generator"]) == {
        "imageTag": "2026-01-15",
        "replicas": 2,
        "model": "on",
        "cloud": {"x": "1:30"},
    }


@pytest.mark.parametrize(
    "namespace", ["kubernetes", "azure-native", "pulumi", "tls", "random", "command", "azure", "aws"]
)
def test_provider_namespaces_are_left_to_their_providers(namespace: str) -> None:
    assert problems_for({"environment": "dev"}) is None
    values = {f"{PROJECT}:environment": "dev", f"{namespace}:anything": "value"}
    assert parse_config(values).platform.environment == "dev"
