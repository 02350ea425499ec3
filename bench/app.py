"""Generator service overhead: direct calls to a fake backend vs the same work through `/generate`.

The fake backend (a separate process) answers Ollama's `/api/chat` after a fixed 2 s. At 1, 64 and 256
concurrent requests the load generator (an aiohttp client in this process) first calls the backend directly,
then calls the service (a real `uvicorn app.main:app` process, one worker, with the container's flags) which
calls the backend. It prints
added latency p50/p99, the throughput ratio, the service's CPU time per request (utime+stime from
/proc/<pid>/stat), its peak RSS (VmHWM) and errors, then PASS/FAIL against the targets below.

    .venv/bin/python -m bench.app            # what `make bench-app` runs
"""

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
BACKEND_LATENCY = 2.0
MODEL = "bench-model:latest"
LEVELS = (1, 64, 256)
ROUNDS = {1: 8, 64: 4, 256: 4}
PROMPT = "A small Python HTTP service that returns the current time as JSON, with tests."
ANSWER = json.dumps(
    {
        "files": [
            {"path": "main.py", "content": "import json, time\nprint(json.dumps({'now': time.time()}))\n"},
            {"path": "requirements.txt", "content": ""},
            {"path": "tests/test_main.py", "content": "def test_imports():\n    import main  # noqa\n"},
        ],
        "summary": "Prints the current time as JSON.",
    }
)
TICKS = os.sysconf("SC_CLK_TCK")

# Targets (2-core machine, load generator and fake backend on the same machine); docs/benchmarks.md has the figures.
ADDED_P50_MS = {1: 5.0, 64: 50.0, 256: 250.0}
ADDED_P99_MS = {1: 20.0, 64: 150.0, 256: 500.0}
THROUGHPUT_RATIO = {64: 0.95, 256: 0.9}
CPU_MS_PER_REQUEST = {64: 1.5, 256: 1.5}
PEAK_RSS_MB = 250.0

#: The service runs as the container runs it (app/Dockerfile's CMD flags and malloc settings).
CONTAINER_FLAGS = ("--no-access-log", "--log-config", "app/logging.json", "--http", "app.server:ReadTimeoutProtocol")
CONTAINER_ENV = {
    "MALLOC_ARENA_MAX": "2",
    "MALLOC_MMAP_THRESHOLD_": "131072",
    # The checks run, as in the container (CHECKS_ENABLED by default); checkov is where `make install` puts it.
    "CHECKOV_PATH": str(ROOT / ".tools" / "checkov" / "bin" / "checkov"),
}


def serve_fake_backend(port: int) -> None:
    """Ollama's `/api/chat` and `/api/tags`, answering after a fixed latency."""

    async def chat(request: web.Request) -> web.Response:
        body = await request.json()
        await asyncio.sleep(BACKEND_LATENCY)
        return web.json_response(
            {
                "model": body.get("model", MODEL),
                "created_at": "2025-01-01T00:00:00Z",
                "message": {"role": "assistant", "content": ANSWER},
                "done": True,
                "done_reason": "stop",
                "prompt_eval_count": 120,
                "eval_count": 480,
            }
        )

    async def tags(_: web.Request) -> web.Response:
        return web.json_response({"models": [{"name": MODEL, "model": MODEL, "size": 1}]})

    app = web.Application()
    app.add_routes([web.post("/api/chat", chat), web.get("/api/tags", tags)])
    web.run_app(app, host="127.0.0.1", port=port, print=None, backlog=2048, access_log=None)


def start_service(
    port: int, env: dict[str, str], *args: str, stdout: IO[str] | int = subprocess.DEVNULL
) -> subprocess.Popen[bytes]:
    """`uvicorn app.main:app` as the container runs it (its CMD flags and malloc settings) on a loopback port."""
    command = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port)]
    return subprocess.Popen(
        [*command, *args, *CONTAINER_FLAGS], cwd=ROOT, env={**os.environ, **CONTAINER_ENV, **env}, stdout=stdout
    )


def start_backend(module: str, flag: str) -> tuple[subprocess.Popen[bytes], str]:
    """A bench's own backend (`python -m <module> <flag> PORT`) on a free loopback port, and its URL."""
    port = free_port()
    backend = subprocess.Popen([sys.executable, "-m", module, flag, str(port)], cwd=ROOT)
    return backend, f"http://127.0.0.1:{port}"


def print_verdicts(verdicts: list[tuple[str, bool]]) -> bool:
    """PASS/FAIL per target; True when all pass."""
    print()
    for name, ok in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    return all(ok for _, ok in verdicts)


def stop(*processes: subprocess.Popen[bytes]) -> None:
    for process in processes:
        process.terminate()
        process.wait(timeout=30)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 20
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the command name: state is field 3, utime 14 and stime 15 (1-based, see proc(5)).
    return (int(fields[11]) + int(fields[12])) / TICKS


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("VmHWM not found")


@dataclass
class Run:
    latencies: list[float]
    errors: int
    wall: float

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.wall

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        index = max(0, min(len(ordered) - 1, round(q * len(ordered) + 0.5) - 1))
        return ordered[index]


async def load(concurrency: int, rounds: int, call: Callable[[], Awaitable[bool]]) -> Run:
    latencies: list[float] = []
    errors = 0

    async def worker() -> None:
        nonlocal errors
        for _ in range(rounds):
            started = time.perf_counter()
            ok = await call()
            latencies.append(time.perf_counter() - started)
            errors += not ok

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Run(latencies, errors, time.perf_counter() - started)


async def benchmark(backend_url: str, service_url: str, service_pid: int) -> bool:
    direct_body = {
        "model": MODEL,
        "messages": [{"role": "user", "content": PROMPT}],
        "stream": False,
    }
    rows: list[tuple[int, Run, Run, float]] = []
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:

        async def direct() -> bool:
            try:
                async with session.post(f"{backend_url}/api/chat", json=direct_body) as response:
                    await response.read()
                    return response.status == 200
            except aiohttp.ClientError:
                return False

        async def via_service() -> bool:
            try:
                async with session.post(f"{service_url}/generate", json={"prompt": PROMPT}) as response:
                    body = await response.read()
                    return response.status == 200 and b'"files"' in body
            except aiohttp.ClientError:
                return False

        for concurrency in LEVELS:
            await load(concurrency, 1, direct)  # warm-up: open the connections
            direct_run = await load(concurrency, ROUNDS[concurrency], direct)
            await load(concurrency, 1, via_service)
            cpu_before = cpu_seconds(service_pid)
            via_run = await load(concurrency, ROUNDS[concurrency], via_service)
            cpu_ms = (cpu_seconds(service_pid) - cpu_before) * 1000 / len(via_run.latencies)
            rows.append((concurrency, direct_run, via_run, cpu_ms))
            print(f"  measured {concurrency} concurrent", file=sys.stderr)
    rss = peak_rss_mb(service_pid)
    return report(rows, rss)


def report(rows: list[tuple[int, Run, Run, float]], rss: float) -> bool:
    header = (
        "| concurrent | requests | direct p50 ms | via p50 ms | added p50 ms | added p99 ms "
        "| direct req/s | via req/s | ratio | CPU ms/req | errors |"
    )
    print(header)
    print("|" + "---:|" * (header.count("|") - 1))
    verdicts: list[tuple[str, bool]] = []
    for concurrency, direct, via, cpu_ms in rows:
        added_p50 = (via.percentile(0.5) - direct.percentile(0.5)) * 1000
        added_p99 = (via.percentile(0.99) - direct.percentile(0.99)) * 1000
        ratio = via.throughput / direct.throughput
        errors = direct.errors + via.errors
        print(
            f"| {concurrency} | {len(via.latencies)} | {direct.percentile(0.5) * 1000:.1f} "
            f"| {via.percentile(0.5) * 1000:.1f} | {added_p50:.1f} | {added_p99:.1f} "
            f"| {direct.throughput:.1f} | {via.throughput:.1f} | {ratio:.3f} | {cpu_ms:.2f} | {errors} |"
        )
        verdicts.append(
            (
                f"added p50 at {concurrency} <= {ADDED_P50_MS[concurrency]:g} ms",
                added_p50 <= ADDED_P50_MS[concurrency],
            )
        )
        verdicts.append(
            (
                f"added p99 at {concurrency} <= {ADDED_P99_MS[concurrency]:g} ms",
                added_p99 <= ADDED_P99_MS[concurrency],
            )
        )
        if concurrency in THROUGHPUT_RATIO:
            verdicts.append(
                (
                    f"throughput at {concurrency} >= {THROUGHPUT_RATIO[concurrency]:g}x direct",
                    ratio >= THROUGHPUT_RATIO[concurrency],
                )
            )
        if concurrency in CPU_MS_PER_REQUEST:
            verdicts.append(
                (
                    f"CPU at {concurrency} <= {CPU_MS_PER_REQUEST[concurrency]:g} ms/request",
                    cpu_ms <= CPU_MS_PER_REQUEST[concurrency],
                )
            )
        verdicts.append((f"no errors at {concurrency}", errors == 0))
    print(f"\nservice peak RSS (VmHWM): {rss:.1f} MB")
    verdicts.append((f"peak RSS < {PEAK_RSS_MB:g} MB", rss < PEAK_RSS_MB))
    return print_verdicts(verdicts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve-fake-backend", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_fake_backend:
        serve_fake_backend(args.serve_fake_backend)
        return 0
    backend, backend_url = start_backend("bench.app", "--serve-fake-backend")
    service_port = free_port()
    service_url = f"http://127.0.0.1:{service_port}"
    env = {
        "OLLAMA_BASE_URL": backend_url,
        "GENERATOR_MODEL": MODEL,
        "MAX_CONCURRENT_GENERATIONS": "512",
        "LLM_TIMEOUT_SECONDS": "30",
    }
    service = start_service(service_port, env, "--workers", "1", "--backlog", "2048")
    try:
        asyncio.run(wait_until_up(f"{service_url}/ready"))
        print(f"fake backend latency {BACKEND_LATENCY:g} s; service pid {service.pid}; {os.cpu_count()} CPUs\n")
        ok = asyncio.run(benchmark(backend_url, service_url, service.pid))
    finally:
        stop(service, backend)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
