"""Generator service soak under hostile traffic: memory, metric series, 500s and `/health` latency.

A hostile fake backend (its own process) answers Ollama's `/api/chat` and the OpenAI-compatible
`/chat/completions` with a fault the load generator picks per request (oversized, deep or malformed bodies,
resets, hangs, truncated streams, model output with lone surrogates, too many files, too long a summary, or a
good answer). The real service (`uvicorn` with the container's flags) gets a few thousand such requests with
random modes, representations and model names, a share of them abandoned by their client mid-way, while a
prober calls `/health` every 50 ms. It prints RSS at the start and the end, the /metrics series count, the
statuses seen and /health latency, then PASS/FAIL against the targets below.

    .venv/bin/python -m bench.soak            # what `make soak` runs
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import subprocess
import time
from collections import Counter
from contextlib import suppress
from multiprocessing.connection import Connection
from pathlib import Path

import aiohttp
from aiohttp import web

from bench.app import free_port, print_verdicts, start_backend, start_service, stop, wait_until_up

REQUESTS = 3000
CONCURRENCY = 8  # clients, as many as the platform's default generation slots
WARM_UP = 100
ABANDON_SHARE = 0.15
MiB = 1024 * 1024
FAULTS = (
    "ok",
    "ok",
    "ok",
    "huge-chunked",
    "huge-declared",
    "deep-body",
    "html",
    "reset",
    "hang",
    "truncated",
    "surrogates",
    "many-files",
    "huge-summary",
    "unusable",
    "near-cap",
)
API_KEY = "sk-soak-0123456789"
# Targets: RSS may grow by this share at most, /health p99, /metrics series (docs/benchmarks.md has the figures).
RSS_GROWTH = 0.25
HEALTH_P99_MS = 100.0
MAX_SERIES = 1000


def _answer(fault: str) -> str:
    if fault == "surrogates":
        files = '[{"path": "\\ud800.py", "content": "x"}, {"path": "a.py", "content": "1"}]'
        return '{"files": ' + files + ', "summary": "\\udc00"}'
    if fault == "many-files":
        return json.dumps({"files": [{"path": f"f{i}.py", "content": ""} for i in range(20_000)], "summary": "s"})
    if fault == "huge-summary":
        return json.dumps({"files": [{"path": "a.py", "content": "1"}], "summary": "s" * (3 * MiB)})
    if fault == "unusable":
        return "I cannot do that."
    if fault == "near-cap":
        return json.dumps(
            {"files": [{"path": f"f{i}.py", "content": "x" * 200_000} for i in range(16)], "summary": "s"}
        )
    return json.dumps({"files": [{"path": "main.py", "content": "print('hi')\n"}], "summary": "Says hi."})


def serve_hostile_backend(port: int) -> None:
    answers = {fault: _answer(fault) for fault in FAULTS}
    filler = b"x" * MiB

    def wire(cloud: bool, stream: bool, content: str, done: bool = True) -> bytes:
        if not cloud:
            chunk = {"model": "m", "message": {"role": "assistant", "content": content}, "done": done}
            return json.dumps(chunk).encode() + (b"\n" if stream else b"")
        if not stream:
            return json.dumps({"model": "m", "choices": [{"message": {"content": content}}]}).encode()
        event = b"data: " + json.dumps({"choices": [{"delta": {"content": content}}]}).encode() + b"\n\n"
        return event + (b"data: [DONE]\n\n" if done else b"")

    async def chat(request: web.Request) -> web.StreamResponse:
        # The service hangs up on the hostile answers: that is the point, not an error here.
        with suppress(ConnectionError):
            return await answer(request)
        return web.Response()

    async def answer(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        cloud = request.path.endswith("/chat/completions")
        stream = bool(body.get("stream"))
        fault = body["messages"][-1]["content"].split()[0]
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        if fault == "huge-declared":
            response.headers["Content-Length"] = str(900 * MiB)
        await response.prepare(request)
        if fault in ("huge-chunked", "huge-declared"):
            for _ in range(12):
                await response.write(filler)
        elif fault == "deep-body":
            await response.write(b"[" * 100_000 + b"]" * 100_000 + b"\n")
        elif fault == "html":
            await response.write(b"<html><body>502 Bad Gateway</body></html>")
        elif fault == "reset":
            await response.write(b'{"message": {"con')
            if request.transport is not None:
                request.transport.abort()
            return response
        elif fault == "hang":
            await asyncio.sleep(3600)
        elif fault == "truncated":
            await response.write(wire(cloud, stream, '{"files": [', done=False))
        else:
            await response.write(wire(cloud, stream, answers[fault]))
        await response.write_eof()
        return response

    async def tags(_: web.Request) -> web.Response:
        return web.json_response({"models": [{"name": "soak-model:latest", "size": 1}]})

    app = web.Application(client_max_size=MiB)
    app.add_routes([web.post("/api/chat", chat), web.post("/v1/chat/completions", chat), web.get("/api/tags", tags)])
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, handler_cancellation=True)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("VmRSS not found")


async def series(session: aiohttp.ClientSession, url: str) -> tuple[int, int, float]:
    """The number of series, the size of the exposition and the generations in flight."""
    async with session.get(f"{url}/metrics") as response:
        text = await response.text()
    samples = [line for line in text.splitlines() if line and not line.startswith("#")]
    inflight = next(float(line.split()[-1]) for line in samples if line.startswith("generator_inflight_generations"))
    return len(samples), len(text), inflight


class Soak:
    def __init__(self, url: str, seed: int) -> None:
        self.url = url
        self.random = random.Random(seed)
        self.statuses: Counter[str] = Counter()

    async def one(self, session: aiohttp.ClientSession) -> None:
        fault = self.random.choice(FAULTS)
        mode = self.random.choice(("local", "cloud"))
        accept = self.random.choice(("application/json", "application/zip", "application/x-ndjson"))
        model = self.random.choice(("soak-model", f"rand-{self.random.getrandbits(40):x}", "soak-model:latest"))
        abandon = fault == "hang" or self.random.random() < ABANDON_SHARE
        body = {"prompt": f"{fault} please", "model": model}
        # As the gateway forwards it: the authenticated client's name (app/budget.py).
        headers = {"x-llm-mode": mode, "accept": accept, "x-prompt2prod-client": "soak"}
        try:
            async with asyncio.timeout(self.random.uniform(0.01, 0.4) if abandon else 60):
                async with session.post(f"{self.url}/generate", json=body, headers=headers) as response:
                    payload = await response.read()
            status = str(response.status)
            if response.status == 200 and accept == "application/x-ndjson":
                last = json.loads(payload.splitlines()[-1])
                status = {"result": "200", "error": f"event {last.get('status')}"}.get(last["event"], "cut off")
        except TimeoutError:
            status = "abandoned"
        except (aiohttp.ClientError, ValueError):  # a connection dropped, a stream cut mid-line
            status = "cut off"
        self.statuses[status] += 1
        if status == "429":
            await asyncio.sleep(0.05)  # a polite client backs off (Retry-After would idle the soak)

    async def worker(self, session: aiohttp.ClientSession, count: int) -> None:
        for _ in range(count):
            await self.one(session)


def probe_health(url: str, results: Connection) -> None:
    """In a process of its own, so that the load generator's own work does not show in the latencies."""

    async def probe() -> list[float]:
        latencies: list[float] = []
        async with aiohttp.ClientSession() as session:
            while not results.poll():
                started = time.perf_counter()
                async with session.get(f"{url}/health") as response:
                    await response.read()
                latencies.append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(0.05)
        return latencies

    results.send(asyncio.run(probe()))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q * len(ordered) + 0.5) - 1))]


async def soak(url: str, pid: int, requests: int) -> bool:
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as session:
        warm = Soak(url, seed=1)
        await asyncio.gather(*(warm.worker(session, WARM_UP // 10) for _ in range(10)))
        await asyncio.sleep(1)
        rss_start = rss_mb(pid)
        series_start, _, _ = await series(session, url)
        run = Soak(url, seed=2)
        ours, theirs = multiprocessing.Pipe()
        prober = multiprocessing.Process(target=probe_health, args=(url, theirs))
        prober.start()
        started = time.perf_counter()
        await asyncio.gather(*(run.worker(session, requests // CONCURRENCY) for _ in range(CONCURRENCY)))
        wall = time.perf_counter() - started
        ours.send("stop")
        health_ms: list[float] = await asyncio.to_thread(ours.recv)
        prober.join()
        await asyncio.sleep(2)  # abandoned calls finish cancelling
        rss_end = rss_mb(pid)
        series_end, metrics_bytes, inflight = await series(session, url)
    sent = sum(run.statuses.values())
    print(f"{sent} requests in {wall:.0f} s ({sent / wall:.1f}/s), {CONCURRENCY} concurrent; outcomes:")
    for status, count in sorted(run.statuses.items()):
        print(f"  {status:>10}: {count}")
    growth = rss_end / rss_start - 1
    p50, p99 = percentile(health_ms, 0.5), percentile(health_ms, 0.99)
    print(f"RSS: {rss_start:.1f} MB after warm-up, {rss_end:.1f} MB at the end ({growth:+.1%})")
    print(f"/metrics: {series_start} series after warm-up, {series_end} at the end ({metrics_bytes} bytes)")
    print(f"generations in flight at the end: {inflight:g}")
    print(f"/health: {len(health_ms)} probes, p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(health_ms):.1f} ms")
    server_errors = sum(count for status, count in run.statuses.items() if "500" in status)
    verdicts = [
        (f"RSS within {RSS_GROWTH:.0%} of its start", growth <= RSS_GROWTH),
        (f"/metrics series bounded (<= {MAX_SERIES})", series_end <= MAX_SERIES),
        ("zero 500s", server_errors == 0),
        ("no answer cut off", run.statuses["cut off"] == 0),
        ("no generation slot still taken at the end", inflight == 0),
        (f"/health p99 < {HEALTH_P99_MS:g} ms", p99 < HEALTH_P99_MS),
    ]
    return print_verdicts(verdicts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=REQUESTS)
    parser.add_argument("--service-log", type=Path, help="write the service's log lines to this file")
    parser.add_argument("--serve-hostile-backend", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_hostile_backend:
        serve_hostile_backend(args.serve_hostile_backend)
        return 0
    backend, backend_url = start_backend("bench.soak", "--serve-hostile-backend")
    service_port = free_port()
    service_url = f"http://127.0.0.1:{service_port}"
    env = {
        "OLLAMA_BASE_URL": backend_url,
        "GENERATOR_MODEL": "soak-model",
        "CLOUD_LLM_BASE_URL": f"{backend_url}/v1",
        "CLOUD_LLM_API_KEY": API_KEY,
        "LLM_TIMEOUT_SECONDS": "5",
        "REQUEST_TIMEOUT_SECONDS": "10",
        # The soak measures the service under hostile traffic, not the cloud budget: every cloud request admitted.
        "CLOUD_BUDGET_REQUESTS_PER_HOUR": "1000000",
        "LOG_LEVEL": "WARNING",
    }
    log = args.service_log.open("w") if args.service_log else subprocess.DEVNULL
    service = start_service(service_port, env, stdout=log)
    try:
        asyncio.run(wait_until_up(f"{service_url}/health"))
        print(f"service pid {service.pid}; {os.cpu_count()} CPUs\n")
        ok = asyncio.run(soak(service_url, service.pid, args.requests))
    finally:
        stop(service, backend)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
