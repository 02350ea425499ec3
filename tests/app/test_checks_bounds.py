"""The checks never take the service down with them: a tool that hangs is killed at CHECKS_TIMEOUT_SECONDS, one
that allocates without end is stopped by CHECKS_MEMORY_MB, a request whose deadline is near skips what it has no
time for, and each is reported as that tool's error for its files, never as a pass and never as a failed request.
The tools here are stand-ins (scripts) put where the real ones are expected.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat as modes
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
import uvloop

from app.checks import Checker
from app.checks.documents import check_file
from app.lifetime import Deadline
from app.metrics import Metrics
from app.settings import Settings
from tests.support.checks import BIN_DIR, CHECKOV

DOCKERFILE = [("Dockerfile", "FROM python:3.11-slim\n")]


def _tools(folder: Path, hadolint: str) -> Path:
    """A bin folder whose hadolint is `hadolint` (a script body) and whose other tools are the real ones."""
    folder.mkdir()
    for name in ("actionlint", "zizmor"):
        (folder / name).symlink_to(BIN_DIR / name)
    script = folder / "hadolint"
    script.write_text(hadolint)
    script.chmod(script.stat().st_mode | modes.S_IXUSR)
    return folder


def _checker(folder: Path, **settings: object) -> Checker:
    values: dict[str, object] = {"checks_bin_dir": folder, "checkov_path": CHECKOV, **settings}
    return Checker(Settings(**values), Metrics())  # type: ignore[arg-type]


@pytest.mark.parametrize("run", [asyncio.run, uvloop.run], ids=["asyncio", "uvloop"])
def test_a_tool_that_hangs_is_killed_at_the_timeout_with_its_children(
    tmp_path: Path, run: Callable[[Coroutine[Any, Any, None]], None]
) -> None:
    """Under both event loops: the service runs on uvloop (uvicorn's choice), the other tests on asyncio's."""
    pids = tmp_path / "pids"
    folder = _tools(tmp_path / "bin", f"#!/bin/sh\nsleep 60 &\necho $$ $! > {pids}\nwait\n")

    async def check() -> None:
        started = time.monotonic()
        results = await _checker(folder, checks_timeout_seconds=1).check(DOCKERFILE)
        assert time.monotonic() - started < 10
        assert [(r.tool, r.outcome, r.message) for r in results] == [
            ("hadolint", "error", "tool error: timed out after 1.0 s")
        ]
        for pid in map(int, pids.read_text().split()):
            await _gone(pid)

    run(check())


async def _gone(pid: int) -> None:
    """Until `pid` has ended: a killed grandchild stays a zombie until the init process reaps it."""
    stat = Path(f"/proc/{pid}/stat")
    for _ in range(100):
        try:
            if stat.read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                return
        except (FileNotFoundError, ProcessLookupError):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"process {pid} still runs")


async def test_a_tool_that_allocates_too_much_is_stopped_by_the_memory_bound(tmp_path: Path) -> None:
    # 2 GiB against a bound of 768 MB of address space: the allocation fails inside the tool.
    folder = _tools(tmp_path / "bin", "#!/usr/bin/python3\nblock = bytearray(2 * 1024**3)\nprint('[]')\n")

    results = await _checker(folder, checks_memory_mb=768).check(DOCKERFILE)

    assert [(r.tool, r.outcome) for r in results] == [("hadolint", "error")]
    assert results[0].message.startswith("tool error: ")
    assert "MemoryError" in results[0].message


async def test_a_tool_that_prints_no_report_is_an_error_not_a_pass(tmp_path: Path) -> None:
    folder = _tools(tmp_path / "bin", "#!/bin/sh\necho 'segmentation fault' >&2\nexit 3\n")

    results = await _checker(folder).check(DOCKERFILE)

    assert [(r.outcome, r.message) for r in results] == [("error", "tool error: exit 3: segmentation fault")]


async def test_the_tools_see_a_private_folder_that_is_removed_afterwards(tmp_path: Path) -> None:
    seen = tmp_path / "seen.json"
    script = (
        "#!/usr/bin/python3\nimport json, os, stat, sys\n"
        f"json.dump({{'cwd': os.getcwd(), 'mode': stat.S_IMODE(os.stat('.').st_mode), 'args': sys.argv[1:],"
        f" 'env': sorted(os.environ)}}, open({str(seen)!r}, 'w'))\nprint('[]')\n"
    )
    folder = _tools(tmp_path / "bin", script)
    os.environ["CLOUD_LLM_API_KEY"] = "sk-must-not-reach-the-tools"
    try:
        results = await _checker(folder).check(DOCKERFILE)
    finally:
        del os.environ["CLOUD_LLM_API_KEY"]

    saw = json.loads(seen.read_text())
    assert [r.outcome for r in results] == ["ok"]
    assert saw["mode"] == 0o700
    assert not Path(saw["cwd"]).exists()
    assert saw["args"][-1].endswith("/Dockerfile")
    assert "CLOUD_LLM_API_KEY" not in saw["env"]


async def test_checks_the_deadline_leaves_no_time_for_are_skipped(tmp_path: Path) -> None:
    folder = _tools(tmp_path / "bin", "#!/bin/sh\nsleep 60\n")
    deadline = Deadline(request_seconds=0.3, call_seconds=0.3)
    started = time.monotonic()

    results = await _checker(folder).check([*DOCKERFILE, ("main.py", "print(1)\n")], deadline)

    assert time.monotonic() - started < 2
    assert {(r.tool, r.outcome, r.message) for r in results} == {
        ("hadolint", "error", "skipped: the request's deadline was near"),
        ("python-compile", "ok", ""),
    }


async def test_a_missing_tool_stops_the_service_at_startup_naming_it(tmp_path: Path) -> None:
    from app.checks import ChecksUnavailable

    folder = _tools(tmp_path / "bin", "#!/bin/sh\necho '[]'\n")
    (folder / "zizmor").unlink()

    with pytest.raises(ChecksUnavailable, match=r"zizmor \(.*/bin/zizmor\).*CHECKS_BIN_DIR"):
        _checker(folder)
    assert _checker(folder, checks_enabled=False).enabled is False


async def test_a_tool_is_killed_when_the_request_waiting_for_it_goes_away(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    folder = _tools(tmp_path / "bin", f"#!/bin/sh\nsleep 60 &\necho $$ $! > {pids}\nwait\n")
    check = asyncio.ensure_future(_checker(folder).check(DOCKERFILE))
    while not pids.exists() or not pids.read_text().strip():
        await asyncio.sleep(0.02)

    check.cancel()

    with pytest.raises(asyncio.CancelledError):
        await check
    for pid in map(int, pids.read_text().split()):
        await _gone(pid)


async def test_concurrent_generations_with_the_same_files_share_one_tool_run(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    folder = _tools(tmp_path / "bin", f"#!/bin/sh\necho run >> {runs}\nsleep 0.3\necho '[]'\n")
    checker = _checker(folder)

    results = await asyncio.gather(*(checker.check(DOCKERFILE) for _ in range(8)))

    assert runs.read_text().count("run") == 1
    assert {r.outcome for batch in results for r in batch} == {"ok"}


async def test_a_project_seen_before_runs_no_tool_but_one_a_tool_could_not_check_is_checked_again(
    tmp_path: Path,
) -> None:
    runs = tmp_path / "runs"
    flaky = tmp_path / "flaky"
    script = f"#!/bin/sh\necho run >> {runs}\nif [ -e {flaky} ]; then rm {flaky}; exit 3; fi\necho '[]'\n"
    checker = _checker(_tools(tmp_path / "bin", script))
    metrics = checker._metrics

    first = await checker.check(DOCKERFILE)
    again = await checker.check(DOCKERFILE)
    assert again == first
    assert runs.read_text().count("run") == 1
    assert metrics.checks.labels("hadolint", "ok")._value.get() == 2  # counted per generation, cached or not

    flaky.touch()
    other = [("Dockerfile", "FROM python:3.12-slim\n")]
    assert [r.outcome for r in await checker.check(other)] == ["error"]
    assert [r.outcome for r in await checker.check(other)] == ["ok"]
    assert runs.read_text().count("run") == 3


def test_a_yaml_alias_bomb_is_reported_and_never_handed_to_checkov() -> None:
    """507 bytes that expand to millions of nodes: checkov, which expands aliases too, reached 900 MB on it."""
    bomb = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
    bomb += "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for level in "bcdefgh":
        previous = chr(ord(level) - 1)
        bomb += f"{level}: &{level} [*{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}]\n"
    bomb += "data: *h\n"

    checked = check_file("k8s/bomb.yaml", bomb)

    assert checked.role is None
    by_tool = {result.tool: result for result in checked.results}
    assert by_tool["checkov"].outcome == "failed"
    assert by_tool["checkov"].message.startswith("not scanned: more than 50000 nodes")
    assert "more than 50000 nodes" in by_tool["kubernetes-validate"].message
