"""Check results, and how they are shown: one line each on the console, a table in the job summary."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class CheckResult:
    name: str
    passed: bool
    detail: str
    seconds: float


def console(results: Sequence[CheckResult]) -> str:
    width = max((len(result.name) for result in results), default=0)
    lines = [
        f"{'PASS' if result.passed else 'FAIL'}  {result.name:<{width}}  {result.seconds:6.1f} s  {result.detail}"
        for result in results
    ]
    failed = sum(not result.passed for result in results)
    lines.append(f"{len(results) - failed} of {len(results)} checks passed" + (f", {failed} failed" if failed else ""))
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def markdown(results: Sequence[CheckResult], *, title: str) -> str:
    """The job summary: a heading that says the verdict, then one row per check."""
    failed = [result.name for result in results if not result.passed]
    verdict = f"❌ {len(failed)} of {len(results)} checks failed" if failed else f"✅ all {len(results)} checks passed"
    lines = [
        f"### {title}: {verdict}",
        "",
        "| Check | Result | Time | Detail |",
        "|---|---|---|---|",
        *(
            f"| {result.name} | {'✅ pass' if result.passed else '❌ fail'} | {result.seconds:.1f} s | "
            f"{_cell(result.detail)} |"
            for result in results
        ),
    ]
    return "\n".join(lines) + "\n"
