"""The time the checks on a generated project add to a generation (app/checks), per tool, cold and cached.

The projects are the service's own: the fake model answer of bench/app.py (Python) and a small Node answer,
scaffolded as `POST /generate` scaffolds them, and the same Python project with a hardened set of Kubernetes
manifests under `deploy/` (so that checkov runs). For each, the checks run `--cold` times with an empty cache
(a new checker each time: every tool runs) and `--warm` times with a warm one (the service's steady state for
a project it has seen, such as the scaffolded files), one generation at a time. It prints p50/p99 of the whole
check and of each tool's run.

    .venv/bin/python -m bench.checks            # what `make bench-checks` runs
"""

import argparse
import asyncio
import json
import statistics
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from app.checks import Checker
from app.metrics import Metrics
from app.project import parse_answer
from app.scaffold import scaffold
from app.settings import Settings
from bench.app import ANSWER

ROOT = Path(__file__).resolve().parent.parent
NODE_ANSWER = json.dumps(
    {
        "files": [
            {"path": "index.js", "content": "require('node:http').createServer((q, s) => s.end('hi')).listen(8080);\n"}
        ],
        "summary": "Says hi.",
    }
)


class _Recorder:
    """Stands in for the check_seconds histogram: keeps every observation, by tool."""

    def __init__(self) -> None:
        self.seen: dict[str, list[float]] = defaultdict(list)
        self._tool = ""

    def labels(self, tool: str) -> "_Recorder":
        self._tool = tool
        return self

    def observe(self, seconds: float) -> None:
        self.seen[self._tool].append(seconds)


def _project(answer: str, manifests: str | None = None) -> list[tuple[str, str]]:
    parsed = parse_answer(answer)
    files, _, _ = scaffold(parsed.files, parsed.summary, parsed.paths)
    pairs = [(item.path, item.content) for item in files]
    return pairs + ([("deploy/app.yaml", manifests)] if manifests else [])


def _checker(recorder: _Recorder) -> Checker:
    metrics = Metrics()
    metrics.check_seconds = recorder
    settings = Settings(checkov_path=ROOT / ".tools" / "checkov" / "bin" / "checkov")
    return Checker(settings, metrics)


def _ms(values: list[float], quantile: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(quantile * len(ordered)))]


async def _measure(files: list[tuple[str, str]], cold: int, warm: int) -> dict[str, Any]:
    recorder = _Recorder()
    totals: dict[str, list[float]] = {"cold": [], "warm": []}
    checker = _checker(recorder)
    for _ in range(cold):
        checker = _checker(recorder)
        started = time.perf_counter()
        results = await checker.check(files)
        totals["cold"].append(time.perf_counter() - started)
        failing = [result for result in results if not result.ok]
        if failing:
            raise RuntimeError(f"the benchmark's project fails its checks: {failing}")
    for _ in range(warm):
        started = time.perf_counter()
        await checker.check(files)
        totals["warm"].append(time.perf_counter() - started)
    return {"totals": totals, "tools": dict(recorder.seen)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", type=int, default=10, help="runs with an empty cache (default 10)")
    parser.add_argument("--warm", type=int, default=200, help="runs with a warm cache (default 200)")
    args = parser.parse_args()
    from tests.support.checks import HARDENED_DEPLOYMENT, HTTP_ROUTE, NETWORK_POLICY, manifest

    projects = {
        "python": _project(ANSWER),
        "node": _project(NODE_ANSWER),
        "python + deploy/": _project(ANSWER, manifest(HARDENED_DEPLOYMENT, NETWORK_POLICY, HTTP_ROUTE)),
    }
    print("| project | files | cold p50 ms | cold p99 ms | cached p50 ms | cached p99 ms |")
    print("|---|---:|---:|---:|---:|---:|")
    per_tool: dict[str, list[float]] = defaultdict(list)
    for name, files in projects.items():
        measured = asyncio.run(_measure(files, args.cold, args.warm))
        cold, warm = measured["totals"]["cold"], measured["totals"]["warm"]
        print(
            f"| {name} | {len(files)} | {_ms(cold, 0.5):.1f} | {_ms(cold, 0.99):.1f} | {_ms(warm, 0.5):.2f} |"
            f" {_ms(warm, 0.99):.2f} |"
        )
        for tool, seconds in measured["tools"].items():
            per_tool[tool].extend(seconds)
    print("\n| tool | runs | p50 ms | p99 ms | mean ms |")
    print("|---|---:|---:|---:|---:|")
    for tool, seconds in sorted(per_tool.items()):
        mean = 1000 * statistics.fmean(seconds)
        print(f"| {tool} | {len(seconds)} | {_ms(seconds, 0.5):.2f} | {_ms(seconds, 0.99):.2f} | {mean:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
