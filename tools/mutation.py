"""`make mutation`: how many realistic bugs the test suite catches, one curated mutant at a time.

Each mutant of `tools/mutants.yaml` names a file, a snippet of it, the snippet's replacement (the bug) and why the
bug is realistic, and the tests that should catch it. For each, on a copy of the working tree (the tree itself is
never written), the runner replaces the snippet, runs the mutant's tests with `pytest -x` (first failure ends the
run), puts the original back, and records the mutant's fate:

- `killed`: a test failed (or could not even be collected);
- `survived`: every selected test passed with the bug in place;
- `timeout`: the tests did not finish within `--timeout` seconds (counted as killed: a hang is noticed too);
- `error`: the mutant could not be applied (its snippet no longer appears exactly once), or pytest could not run
  the selection (a path that is gone, nothing collected).

A snippet that is not found exactly once is refused, never guessed at, so the list cannot rot silently; `--check`
verifies every mutant that way without running anything (`tests/tools/test_mutation.py` does so in `make test`).
Before the mutants, the union of their tests runs once unmutated: a test that fails anyway would "kill" every
mutant. Exit 0 when nothing errored and the kill rate reaches `--target` percent; 1 otherwise; 2 on a usage error.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "tools" / "mutants.yaml"
# Installed, not copied: the copy runs the same interpreter and tools as the tree (`make install`).
LINKED = (".venv", ".tools", "tools/crds/node_modules")
# Left out of the copy: build output and caches, which no test reads.
SKIPPED = frozenset({".git", ".venv", ".tools", "build", "node_modules", "__pycache__", ".pytest_cache", ".mypy_cache"})
FIELDS = frozenset({"id", "path", "original", "replacement", "why", "tests", "survivor"})
DEFAULT_TIMEOUT = 300.0
DEFAULT_TARGET = 90.0

Fate = Literal["killed", "survived", "timeout", "error"]


class MutantError(Exception):
    """A mutant that cannot be applied as written (its snippet is not found exactly once, or the entry is malformed)."""


@dataclass(frozen=True, kw_only=True)
class Mutant:
    id: str
    path: str
    original: str
    replacement: str
    why: str
    tests: tuple[str, ...]
    survivor: bool = False
    """One of the bugs the suite missed before the tests that now catch it were written."""


@dataclass(frozen=True)
class Result:
    mutant: Mutant
    fate: Fate
    seconds: float
    detail: str


def load_mutants(path: Path = MUTANTS) -> list[Mutant]:
    """The mutants of a list file, checked for shape (not yet for applying: see `check`)."""
    try:
        entries: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise MutantError(f"{path}: not valid YAML: {error}") from None
    if not isinstance(entries, list):
        raise MutantError(f"{path}: expected a list of mutants")
    mutants: list[Mutant] = []
    for index, entry in enumerate(entries, start=1):
        where = f"{path.name} entry {index}"
        if not isinstance(entry, dict):
            raise MutantError(f"{where}: expected a mapping")
        unknown, missing = set(entry) - FIELDS, FIELDS - {"survivor"} - set(entry)
        if unknown or missing:
            raise MutantError(f"{where}: unknown fields {sorted(unknown)}, missing fields {sorted(missing)}")
        texts = {name: entry[name] for name in ("id", "path", "original", "replacement", "why")}
        # An empty replacement deletes the snippet; everything else must say something.
        if not all(isinstance(value, str) and (value or name == "replacement") for name, value in texts.items()):
            raise MutantError(f"{where}: id, path, original and why must be non-empty text, replacement text")
        tests = entry["tests"]
        if not isinstance(tests, list) or not tests or not all(isinstance(test, str) for test in tests):
            raise MutantError(f"{where} ({entry['id']}): tests must be a non-empty list of pytest paths or node ids")
        if entry["original"] == entry["replacement"]:
            raise MutantError(f"{where} ({entry['id']}): the replacement changes nothing")
        mutants.append(Mutant(**texts, tests=tuple(tests), survivor=bool(entry.get("survivor", False))))
    duplicates = sorted({m.id for m in mutants if [other.id for other in mutants].count(m.id) > 1})
    if duplicates:
        raise MutantError(f"{path.name}: ids used twice: {', '.join(duplicates)}")
    return mutants


def _line_matches(lines: list[str], snippet: list[str]) -> list[tuple[int, str]]:
    """Where the whole lines `snippet` stand in `lines`, each at the same extra indentation: (index, indentation)."""
    found = []
    for index in range(len(lines) - len(snippet) + 1):
        first = lines[index]
        if not first.endswith(snippet[0]):
            continue
        base = first[: len(first) - len(snippet[0])]
        if base.strip(" \t"):
            continue
        expected = [base + line if line.strip() else line for line in snippet]
        if lines[index : index + len(snippet)] == expected:
            found.append((index, base))
    return found


def mutated_text(mutant: Mutant, text: str) -> str:
    """`text` with the mutant's snippet replaced; refused unless the snippet appears exactly once.

    A snippet that ends with a newline (a YAML block) is whole lines, found at whatever indentation they have in
    the file, and the replacement gets that indentation too; any other snippet is found as plain text.
    """
    if not mutant.original.endswith("\n"):
        found = text.count(mutant.original)
        if found != 1:
            raise MutantError(f"{mutant.id}: the snippet appears {found} times in {mutant.path}, not exactly once")
        return text.replace(mutant.original, mutant.replacement)
    lines = text.splitlines(keepends=True)
    snippet = mutant.original.splitlines(keepends=True)
    matches = _line_matches(lines, snippet)
    if len(matches) != 1:
        raise MutantError(f"{mutant.id}: the lines appear {len(matches)} times in {mutant.path}, not exactly once")
    index, base = matches[0]
    replacement = [base + line if line.strip() else line for line in mutant.replacement.splitlines(keepends=True)]
    return "".join([*lines[:index], *replacement, *lines[index + len(snippet) :]])


def check(mutant: Mutant, root: Path) -> None:
    """Refuse a mutant that would not apply to the tree at `root`, or whose tests are gone; changes nothing."""
    source = root / mutant.path
    if not source.is_file():
        raise MutantError(f"{mutant.id}: {mutant.path} does not exist")
    mutated_text(mutant, source.read_text(encoding="utf-8"))
    for test in mutant.tests:
        if not (root / test.split("::", 1)[0]).exists():
            raise MutantError(f"{mutant.id}: test {test} does not exist")


@contextlib.contextmanager
def applied(mutant: Mutant, root: Path) -> Iterator[None]:
    """The mutant in place in the tree at `root` for the body's duration; the original is back afterwards, whatever
    happens in the body (failure, timeout, Ctrl-C)."""
    source = root / mutant.path
    original = source.read_bytes()
    source.write_text(mutated_text(mutant, original.decode("utf-8")), encoding="utf-8")
    try:
        yield
    finally:
        source.write_bytes(original)


def _tree_files(repo: Path) -> list[Path]:
    """The working tree's files as git sees them (tracked, and untracked but not ignored), else every file."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],  # noqa: S607 - git from PATH
            cwd=repo,
            capture_output=True,
            check=True,
        ).stdout
        names = [Path(name) for name in listed.decode().split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        names = [path.relative_to(repo) for path in repo.rglob("*") if path.is_file()]
    return [name for name in names if not SKIPPED & set(name.parts) and (repo / name).is_file()]


def copy_tree(repo: Path, destination: Path) -> None:
    """The working tree (edits included) into `destination`, with the installed environments linked, not copied."""
    for name in _tree_files(repo):
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(repo / name, target)
    for linked in LINKED:
        if (repo / linked).exists():
            (destination / linked).parent.mkdir(parents=True, exist_ok=True)
            (destination / linked).symlink_to(repo / linked)


def pytest_command(tests: Sequence[str], *, fail_fast: bool = True) -> list[str]:
    """Fail fast, in one process, for a mutant; all of it, on both cores (pytest-xdist), for the baseline."""
    mode = ["-x"] if fail_fast else ["-n", "2"]
    # Native tracebacks: pytest's own re-parse the failing test's source with `ast`, which on CPython 3.11.7 can
    # crash pytest itself ("AST constructor recursion depth mismatch") while a worker thread of the service under
    # test compiles generated Python, turning a caught mutant into an internal error (exit 3).
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--tb=native", *mode, *tests]


def _failures(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith(("FAILED ", "ERROR "))]
    return lines[0] if lines else (output.strip().splitlines() or ["(no output)"])[-1]


def run_mutant(mutant: Mutant, root: Path, timeout: float) -> Result:
    """Apply `mutant` in the tree at `root`, run its tests, restore the file; what became of it."""
    started = time.monotonic()
    try:
        with applied(mutant, root):
            completed = subprocess.run(  # noqa: S603 - this interpreter's pytest on the list's test paths
                pytest_command(mutant.tests), cwd=root, capture_output=True, text=True, timeout=timeout, check=False
            )
    except MutantError as error:
        return Result(mutant, "error", time.monotonic() - started, str(error))
    except subprocess.TimeoutExpired:
        return Result(mutant, "timeout", time.monotonic() - started, f"tests still running after {timeout:.0f} s")
    seconds = time.monotonic() - started
    output = completed.stdout + completed.stderr
    # pytest: 0 all passed, 1 a test failed, 2 interrupted (a collection error under -x); else a usage problem.
    if completed.returncode == 0:
        return Result(mutant, "survived", seconds, "every selected test passed")
    if completed.returncode in (1, 2):
        return Result(mutant, "killed", seconds, _failures(output))
    return Result(mutant, "error", seconds, f"pytest exit {completed.returncode}: {_failures(output)}")


def kill_rate(results: Sequence[Result]) -> float:
    caught = sum(result.fate in ("killed", "timeout") for result in results)
    return 100.0 * caught / len(results) if results else 0.0


def report(results: Sequence[Result]) -> str:
    width = max((len(result.mutant.id) for result in results), default=10)
    lines = [
        f"{result.fate:<8} {result.seconds:6.1f} s  {result.mutant.id:<{width}}  {result.detail}" for result in results
    ]
    counts = {fate: sum(r.fate == fate for r in results) for fate in ("killed", "timeout", "survived", "error")}
    survivors = [r for r in results if r.mutant.survivor]
    lines += [
        "",
        f"{len(results)} mutants: " + ", ".join(f"{count} {fate}" for fate, count in counts.items()),
        f"kill rate: {kill_rate(results):.1f} %"
        + (f" (the {len(survivors)} earlier survivors: {kill_rate(survivors):.1f} %)" if survivors else ""),
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None, *, repo: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.mutation", description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=Path, default=None, help="the list (default: tools/mutants.yaml)")
    parser.add_argument("--only", nargs="+", metavar="ID", help="run these mutants only")
    parser.add_argument("--check", action="store_true", help="check that every mutant applies; run nothing")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per mutant's tests")
    parser.add_argument("--target", type=float, default=DEFAULT_TARGET, help="kill rate (%%) to reach")
    parser.add_argument("--skip-baseline", action="store_true", help="do not run the tests unmutated first")
    args = parser.parse_args(argv)
    try:
        mutants = load_mutants(args.mutants or repo / "tools" / "mutants.yaml")
        if args.only:
            unknown = set(args.only) - {m.id for m in mutants}
            if unknown:
                parser.error(f"unknown mutants: {', '.join(sorted(unknown))}")
            mutants = [m for m in mutants if m.id in args.only]
    except MutantError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    problems = []
    for mutant in mutants:
        try:
            check(mutant, repo)
        except MutantError as error:
            problems.append(str(error))
    if problems or args.check:
        print("\n".join(problems) or f"ok: all {len(mutants)} mutants apply exactly once", file=sys.stderr)
        return 1 if problems else 0

    with tempfile.TemporaryDirectory(prefix="mutation-") as scratch:
        root = Path(scratch) / "tree"
        copy_tree(repo, root)
        if not args.skip_baseline:
            selection = sorted({test for mutant in mutants for test in mutant.tests})
            print(f"baseline: {len(selection)} test selections, unmutated", flush=True)
            baseline = subprocess.run(  # noqa: S603 - as above
                pytest_command(selection, fail_fast=False), cwd=root, capture_output=True, text=True, check=False
            )
            if baseline.returncode != 0:
                print(baseline.stdout[-3000:] + baseline.stderr[-2000:], file=sys.stderr)
                print("error: the selected tests fail without any mutant; fix them first", file=sys.stderr)
                return 1
        results = []
        for mutant in mutants:
            result = run_mutant(mutant, root, args.timeout)
            print(f"{result.fate:<8} {result.seconds:6.1f} s  {mutant.id}", flush=True)
            results.append(result)
    print("\n" + report(results))
    failed = any(result.fate == "error" for result in results) or kill_rate(results) < args.target
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
