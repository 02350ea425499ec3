"""The container: `app/Dockerfile` is clean under hadolint and checkov's dockerfile framework (the real tools,
which must be installed: a missing tool fails, it does not skip), and the image installs exactly the
versions the repo's uv.lock pins.
"""

import re
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "app" / "Dockerfile"
HADOLINT = ROOT / ".venv" / "bin" / "hadolint"
CHECKOV = ROOT / ".tools" / "checkov" / "bin" / "checkov"


def run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


def test_hadolint_reports_nothing() -> None:
    assert HADOLINT.exists(), f"{HADOLINT} missing: run `make install`"

    result = run([str(HADOLINT), "--failure-threshold", "info", str(DOCKERFILE)])

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_checkov_reports_no_failed_check() -> None:
    assert CHECKOV.exists(), f"{CHECKOV} missing: run `make install`"

    result = run([str(CHECKOV), "-f", str(DOCKERFILE), "--framework", "dockerfile", "--skip-download", "--compact"])

    assert result.returncode == 0, result.stdout + result.stderr
    passed = re.search(r"Passed checks: (\d+), Failed checks: (\d+), Skipped checks: (\d+)", result.stdout)
    assert passed is not None, result.stdout
    assert int(passed.group(1)) > 0
    assert passed.group(2) == "0"
    assert passed.group(3) == "0"


def test_image_requirements_match_the_uv_lock() -> None:
    locked = {
        package["name"]: package["version"]
        for package in tomllib.loads((ROOT / "uv.lock").read_text())["package"]
        if "version" in package
    }
    pinned = dict(
        re.findall(r"^([a-z0-9_.-]+)==([^\s\\]+)", (ROOT / "app" / "requirements.txt").read_text(), re.MULTILINE)
    )

    assert {"fastapi", "uvicorn", "aiohttp", "pydantic-settings", "prometheus-client"} <= set(pinned)
    assert "pulumi" not in pinned
    assert {name: version for name, version in pinned.items() if locked.get(name) != version} == {}


def test_image_runs_as_non_root_with_a_healthcheck_on_health() -> None:
    text = DOCKERFILE.read_text()

    assert re.search(r"^USER 10001:10001$", text, re.MULTILINE)
    assert "HEALTHCHECK" in text
    assert "/health" in text
    assert "curl" not in text.split("HEALTHCHECK", 1)[1]
    assert re.search(r'^CMD \["uvicorn", "app\.main:app"', text, re.MULTILINE)
