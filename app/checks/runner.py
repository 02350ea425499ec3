"""`Checker`: every check of a generated project, within the request's deadline, never failing the request.

The external tools run in subprocesses (app/checks/process.py), at most CHECKS_MAX_PROCESSES at once in the whole
service, each within CHECKS_TIMEOUT_SECONDS and what is left of the request's deadline; a tool that cannot start
within that time is reported as skipped. Their files are written to a private temporary folder (0700), removed
afterwards. A tool's results are cached by the tool's binary and the exact files it saw (paths and content): the
scaffolded files are deterministic, so most runs of the slow tools (checkov takes seconds to start) are hits.
"""

import asyncio
import hashlib
import math
import shutil
import sys
import tempfile
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final, Generic, TypeVar

from app.checks import tools
from app.checks.documents import Checked, Role, check_file
from app.checks.model import OUTCOMES, TOOLS, Result, Tool
from app.checks.process import ToolFailure, run_tool
from app.checks.tools import ExternalTool, UnreadableReport
from app.lifetime import Deadline
from app.metrics import Metrics
from app.offload import offload
from app.settings import InvalidSettings, Settings

#: Below this many seconds left, a tool is not started: it is reported as skipped.
MIN_TOOL_SECONDS: Final = 0.5
#: Time allowed for killing a tool at its bound and collecting what it wrote.
KILL_SECONDS: Final = 0.25
#: Tool runs whose results are kept (each a few results of a few hundred bytes); eight times as many files' results.
CACHE_ENTRIES: Final = 512
SKIPPED: Final = "skipped: the request's deadline was near"


class ChecksUnavailable(InvalidSettings):
    """CHECKS_ENABLED, but a tool is not where the settings say."""


def tool_binaries(settings: Settings) -> dict[Tool, Path]:
    """The absolute path of each external tool, checked once at startup."""
    folder = settings.checks_bin_dir or Path(sys.executable).parent
    checkov = settings.checkov_path
    if checkov is None:
        found = folder / "checkov"
        checkov = found if found.is_file() else Path(shutil.which("checkov") or found)
    wanted: dict[Tool, Path] = {
        "hadolint": folder / "hadolint",
        "actionlint": folder / "actionlint",
        "zizmor": folder / "zizmor",
        "checkov": checkov,
    }
    missing = [f"{tool} ({path})" for tool, path in wanted.items() if not path.is_absolute() or not path.is_file()]
    if missing:
        raise ChecksUnavailable(
            f"CHECKS_ENABLED: tools not found: {', '.join(missing)}; set CHECKS_BIN_DIR (hadolint, actionlint,"
            " zizmor) and CHECKOV_PATH to where they are, or CHECKS_ENABLED=false"
        )
    return wanted


class Checker:
    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        self.enabled = settings.checks_enabled
        self._timeout = settings.checks_timeout_seconds
        self._memory_mb = settings.checks_memory_mb
        self._metrics = metrics
        self._slots = asyncio.Semaphore(settings.checks_max_processes)
        self._cache: Cache[list[Result]] = Cache(CACHE_ENTRIES)
        self._documents_cache: Cache[Checked] = Cache(CACHE_ENTRIES * 8)
        # Whole projects seen before (the same answer again, or the same scaffold): one digest instead of one per
        # file and tool, which kept about 0.1 ms of CPU per generation on the event loop (bench/app.py).
        self._projects: Cache[list[Result]] = Cache(CACHE_ENTRIES)
        self._running: dict[tuple[str, ...], _Shared] = {}
        self._counted = {
            (tool, outcome): metrics.checks.labels(tool, outcome) for tool in TOOLS for outcome in OUTCOMES
        }
        self._tools: list[ExternalTool] = []
        self._identity: dict[Tool, str] = {}
        if self.enabled:
            binaries = tool_binaries(settings)
            self._tools = [
                tools.checkov(str(binaries["checkov"])),
                tools.hadolint(str(binaries["hadolint"])),
                tools.actionlint(str(binaries["actionlint"])),
                tools.zizmor(str(binaries["zizmor"])),
            ]
            for tool, path in binaries.items():
                stat = path.stat()
                self._identity[tool] = f"{path}:{stat.st_size}:{stat.st_mtime_ns}"

    async def check(self, files: list[tuple[str, str]], deadline: Deadline | None = None) -> list[Result]:
        """Every check of the project's files (path, text), in a stable order: by path, then tool."""
        if not self.enabled:
            return []
        project = _project_digest(files)
        seen = self._projects.get(project)
        if seen is not None:
            self._count(seen)
            return list(seen)
        checked = await self._documents(files)
        inputs: dict[Tool, dict[str, str]] = {"checkov": {}, "hadolint": {}, "actionlint": {}, "zizmor": {}}
        for (path, text), one in zip(files, checked, strict=True):
            for tool in _ROLES.get(one.role, ()):
                inputs[tool][path] = text
        found = [result for one in checked for result in one.results]
        missing: list[tuple[ExternalTool, dict[str, str], tuple[str, ...]]] = []
        for external in self._tools:
            given = inputs[external.tool]
            if given:
                key = self._key(external, given)
                cached = self._cache.get(key)
                if cached is None:
                    missing.append((external, given, key))
                else:
                    found += cached
        if missing:
            ran = await asyncio.gather(*(self._tool_results(*run, deadline) for run in missing))
            found += [result for batch in ran for result in batch]
        found.sort(key=lambda result: (result.path, result.tool))
        self._count(found)
        # What a tool could not say (a tool error, or skipped for the deadline) is asked again next time.
        if all(result.outcome != "error" for result in found):
            self._projects.put(project, list(found))
        return found

    def _count(self, results: list[Result]) -> None:
        for result in results:
            self._counted[result.tool, result.outcome].inc()

    async def _documents(self, files: list[tuple[str, str]]) -> list[Checked]:
        """The in-process checks of each file: from the cache, or computed in a worker thread (CPU work)."""
        keys = [("documents", path, _digest(text)) for path, text in files]
        checked: list[Checked | None] = [self._documents_cache.get(key) for key in keys]
        missing = [index for index, one in enumerate(checked) if one is None]
        if missing:
            computed = await offload(lambda: [check_file(*files[index]) for index in missing])
            for index, one in zip(missing, computed, strict=True):
                checked[index] = one
                for tool, seconds in one.seconds.items():
                    self._metrics.check_seconds.labels(tool).observe(seconds)
                if all(result.outcome != "error" for result in one.results):
                    self._documents_cache.put(keys[index], one)
        return [one for one in checked if one is not None]

    def _key(self, tool: ExternalTool, given: dict[str, str]) -> tuple[str, ...]:
        return (
            tool.tool,
            self._identity[tool.tool],
            *(part for path in sorted(given) for part in (path, _digest(given[path]))),
        )

    async def _tool_results(
        self, tool: ExternalTool, given: dict[str, str], key: tuple[str, ...], deadline: Deadline | None
    ) -> list[Result]:
        """The tool's results on `given` from its run, which concurrent requests for the same files share (a
        burst of generations with the same scaffolding starts one run, not one each)."""
        paths = sorted(given)
        budget = math.inf if deadline is None else deadline.work_left()
        left = min(self._timeout, budget - KILL_SECONDS)
        if left < MIN_TOOL_SECONDS:
            return _skipped(tool, paths)
        shared = self._running.get(key)
        if shared is None:
            shared = self._running[key] = _Shared(asyncio.ensure_future(self._run(tool, given, paths, left)))
            shared.task.add_done_callback(lambda _: self._running.pop(key, None))
        shared.waiters += 1
        try:
            # A run ends by itself within its bound, and the time to kill and reap it: this bound is for a request
            # that joined a run started for another, longer-lived one.
            async with asyncio.timeout(min(left + KILL_SECONDS, budget)):
                results = await asyncio.shield(shared.task)
        except TimeoutError:
            return _skipped(tool, paths)
        finally:
            shared.waiters -= 1
            # The last request waiting for it has gone (its client left, or its deadline came): stop the tool.
            if shared.waiters == 0 and not shared.task.done():
                shared.task.cancel()
        if all(result.outcome != "error" for result in results):
            self._cache.put(key, results)
        return results

    async def _run(self, tool: ExternalTool, given: dict[str, str], paths: list[str], left: float) -> list[Result]:
        waited = time.perf_counter()
        try:
            async with asyncio.timeout(left - MIN_TOOL_SECONDS):
                await self._slots.acquire()
        except TimeoutError:
            return _skipped(tool, paths)
        left -= time.perf_counter() - waited
        folder = Path(tempfile.mkdtemp(prefix="checks-"))  # mode 0700: only this service's user reads it
        try:
            names = _write(folder, tool.tool, given, paths)
            started = time.perf_counter()
            try:
                finished = await run_tool(
                    [tool.binary, *tool.arguments(list(names))],
                    cwd=folder,
                    env=_environment(folder),
                    timeout=left,
                    memory_mb=self._memory_mb,
                )
            except ToolFailure as exc:
                return tools.tool_errors(tool.tool, paths, str(exc))
            finally:
                self._metrics.check_seconds.labels(tool.tool).observe(time.perf_counter() - started)
        finally:
            self._slots.release()
            shutil.rmtree(folder, ignore_errors=True)
        try:
            found = tool.findings(finished.returncode, finished.stdout)
        except (UnreadableReport, KeyError, TypeError) as exc:
            stderr = finished.stderr[-300:].decode("utf-8", "replace").strip()
            return tools.tool_errors(tool.tool, paths, f"{exc}: {stderr}" if stderr else str(exc))
        return tools.results(tool.tool, names, found)


@dataclass(slots=True)
class _Shared:
    task: "asyncio.Future[list[Result]]"
    waiters: int = 0


def _skipped(tool: ExternalTool, paths: list[str]) -> list[Result]:
    return [Result(tool.tool, path, "error", SKIPPED) for path in paths]


_ROLES: Final[dict[Role | None, tuple[Tool, ...]]] = {
    "manifest": ("checkov",),
    "dockerfile": ("hadolint",),
    "workflow": ("actionlint", "zizmor"),
}

T = TypeVar("T")


class Cache(Generic[T]):
    """The most recently used results, by key."""

    def __init__(self, entries: int) -> None:
        self._entries = entries
        self._items: OrderedDict[tuple[str, ...], T] = OrderedDict()

    def get(self, key: tuple[str, ...]) -> T | None:
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def put(self, key: tuple[str, ...], item: T) -> None:
        self._items[key] = item
        while len(self._items) > self._entries:
            self._items.popitem(last=False)


def _project_digest(files: list[tuple[str, str]]) -> tuple[str, ...]:
    digest = hashlib.sha256()
    for path, text in files:
        # Lengths first: no two different projects make the same stream of bytes.
        encoded_path, encoded = path.encode("utf-8", "surrogatepass"), text.encode("utf-8", "surrogatepass")
        digest.update(f"{len(encoded_path)}:{len(encoded)}:".encode() + encoded_path + encoded)
    return ("project", digest.hexdigest())


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _write(folder: Path, tool: Tool, given: dict[str, str], paths: list[str]) -> dict[str, str]:
    """Write the files under names of the runner's choosing; return written name -> project path."""
    names: dict[str, str] = {}
    for index, path in enumerate(paths):
        # checkov skips hidden files and folders, so its files get plain names; the others keep the file's name.
        name = f"checkov/{index}.yaml" if tool == "checkov" else f"{tool}/{index}/{PurePosixPath(path).name}"
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(given[path], encoding="utf-8", errors="surrogatepass")
        names[name] = path
    return names


def _environment(folder: Path) -> dict[str, str]:
    # Nothing of the service's environment (its keys among it) reaches the tools; HOME is the run's own folder.
    return {"PATH": "/usr/bin:/bin", "HOME": str(folder), "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}
