"""The checks a deploy must pass, each an async function that returns what it saw or raises `CheckFailed`.

Through the public gateway (with the `verify` client's key): the generator's `/health` and `/ready`, one small
generation in local mode, and the LLM API's model list against the configured models. Inside the cluster:
every active Prometheus target is up, no critical alert fires, and Loki holds the generator's log line of the
generation just made (found by its request id). Polling checks (targets, logs) retry until their settle time,
because a fresh rollout is scraped and shipped a few seconds late; the others ask once.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from infra import topology
from infra.verify.http import Answer, CheckFailed, Http

PROMPT: Final = "A Python function add(a, b) that returns a + b, with one pytest test."
CRITICAL_SEVERITIES: Final = frozenset({"critical", "page"})
"""`page` is the platform's own SLO and platform alerts' top severity; `critical` kube-prometheus-stack's."""
LOG_QUERY_LOOKBACK_SECONDS: Final = 300


@dataclass(frozen=True, kw_only=True)
class Platform:
    """What is checked, from the stack outputs and the URLs the caller made reachable."""

    generator_url: str
    llm_url: str
    models: tuple[str, ...]
    prometheus_url: str
    loki_url: str


@dataclass(frozen=True, kw_only=True)
class Timeouts:
    request: float = 10.0
    """One request of a quick check (health, readiness, models, Prometheus, one Loki query)."""
    generation: float = 240.0
    """The generation request (the platform's default request budget)."""
    settle: float = 90.0
    """How long targets may take to come up and the log line to reach Loki."""
    poll_interval: float = 2.0


@dataclass
class Generation:
    """The generation's request id, shared with the log check; `sent_at` is set when the request leaves.

    The id sent may not be the one logged: an edge proxy such as Envoy replaces a client's `x-request-id` unless
    told to keep it. The service answers with the id it used, which then replaces ours.
    """

    request_id: str
    sent_at: float | None = None


def _url(base: str, path: str) -> str:
    return base.rstrip("/") + path


def _expect(answer: Answer, status: int, what: str) -> dict[str, Any]:
    if answer.status != status or not isinstance(answer.body, dict):
        raise CheckFailed(f"{what} answered {answer.status}: {answer.quoted() or '(empty body)'}")
    return answer.body


async def health(http: Http, platform: Platform, timeouts: Timeouts) -> str:
    url = _url(platform.generator_url, "/health")
    body = _expect(await http.gateway("GET", url, timeout=timeouts.request), 200, f"GET {url}")
    if body.get("status") != "ok":
        raise CheckFailed(f"GET {url} answered 200 without status ok: {body}")
    return "ok"


async def ready(http: Http, platform: Platform, timeouts: Timeouts) -> str:
    url = _url(platform.generator_url, "/ready")
    answer = await http.gateway("GET", url, timeout=timeouts.request)
    if answer.status == 503 and isinstance(answer.body, dict):
        raise CheckFailed(f"GET {url} answered 503: {answer.body.get('detail', answer.quoted())}")
    body = _expect(answer, 200, f"GET {url}")
    return f"ready with model {body.get('model')}"


async def generation(http: Http, platform: Platform, timeouts: Timeouts, run: Generation) -> str:
    url = _url(platform.generator_url, "/generate")
    headers = {topology.LLM_MODE_HEADER: "local", "x-request-id": run.request_id, "accept": "application/json"}
    run.sent_at = time.time()
    answer = await http.gateway("POST", url, timeout=timeouts.generation, headers=headers, json_body={"prompt": PROMPT})
    run.request_id = answer.request_id or run.request_id
    body = _expect(answer, 200, f"POST {url} (request {run.request_id})")
    files = body.get("files")
    if not isinstance(files, list) or not files:
        raise CheckFailed(f"POST {url} answered 200 without files (request {run.request_id})")
    if body.get("mode") != "local":
        raise CheckFailed(f"POST {url} ran in mode {body.get('mode')!r}, not local (request {run.request_id})")
    return f"{len(files)} files from {body.get('model')} (request {run.request_id})"


def _model_names(body: Any) -> set[str]:
    models = body.get("models") if isinstance(body, dict) else None
    if not isinstance(models, list):
        raise CheckFailed(f"the model list is not Ollama's /api/tags shape: {str(body)[:200]}")
    names: set[str] = set()
    for entry in models:
        if isinstance(entry, dict):
            names |= {str(entry[key]) for key in ("name", "model") if entry.get(key)}
    return names


async def models(http: Http, platform: Platform, timeouts: Timeouts) -> str:
    url = _url(platform.llm_url, "/api/tags")
    answer = await http.gateway("GET", url, timeout=timeouts.request, headers={topology.LLM_MODE_HEADER: "local"})
    present = _model_names(_expect(answer, 200, f"GET {url}"))
    # Ollama lists a model pulled without a tag as `name:latest`.
    missing = [model for model in platform.models if model not in present and f"{model}:latest" not in present]
    if missing:
        listed = ", ".join(sorted(present)) or "none"
        raise CheckFailed(f"configured but not served: {', '.join(missing)} (the LLM API lists: {listed})")
    return f"all {len(platform.models)} configured models served: {', '.join(platform.models)}"


async def _poll(
    attempt: Callable[[], Awaitable[tuple[bool, str]]], settle: float, interval: float
) -> tuple[bool, str, float]:
    """Call `attempt` until it reports done or `settle` seconds have passed; the last verdict and its message."""
    started = time.monotonic()
    while True:
        done, message = await attempt()
        waited = time.monotonic() - started
        if done or waited + interval > settle:
            return done, message, waited
        await asyncio.sleep(interval)


async def targets(http: Http, platform: Platform, timeouts: Timeouts) -> str:
    url = _url(platform.prometheus_url, "/api/v1/targets")

    async def attempt() -> tuple[bool, str]:
        answer = await http.internal(url, timeout=timeouts.request, params={"state": "active"})
        active = _expect(answer, 200, f"GET {url}").get("data", {}).get("activeTargets")
        if not isinstance(active, list):
            raise CheckFailed(f"GET {url}: no activeTargets in the answer")
        if not active:
            return False, "Prometheus has no active target"
        down = [
            f"{target.get('labels', {}).get('job', '?')} {target.get('scrapeUrl', '?')} is {target.get('health')}"
            + (f" ({target['lastError']})" if target.get("lastError") else "")
            for target in active
            if target.get("health") != "up"
        ]
        if down:
            return False, f"{len(down)} of {len(active)} targets not up: " + "; ".join(down)
        return True, f"all {len(active)} targets up"

    done, message, waited = await _poll(attempt, timeouts.settle, timeouts.poll_interval)
    if not done:
        raise CheckFailed(f"{message} (after {waited:.0f} s)")
    return message


async def alerts(http: Http, platform: Platform, timeouts: Timeouts) -> str:
    url = _url(platform.prometheus_url, "/api/v1/alerts")
    found = _expect(await http.internal(url, timeout=timeouts.request), 200, f"GET {url}").get("data", {})
    firing = [alert for alert in found.get("alerts", []) if alert.get("state") == "firing"]
    critical = [alert for alert in firing if alert.get("labels", {}).get("severity") in CRITICAL_SEVERITIES]

    def names(group: list[dict[str, Any]]) -> str:
        labels = [alert.get("labels", {}) for alert in group]
        named = {f"{label.get('alertname')} ({label.get('severity', 'no severity')})" for label in labels}
        return ", ".join(sorted(named))

    if critical:
        raise CheckFailed(f"critical alerts firing: {names(critical)}")
    return f"no critical alert firing; other firing alerts: {names(firing)}" if firing else "no alert firing"


def log_query(request_id: str) -> str:
    """LogQL: the generator namespace's lines that carry this request id (the service logs compact JSON)."""
    return f'{{namespace="{topology.NAMESPACE_GENERATOR}"}} |= `"request_id":"{request_id}"`'


def _entries(body: dict[str, Any]) -> list[tuple[dict[str, str], str]]:
    data = body.get("data", {})
    if data.get("resultType") != "streams":
        raise CheckFailed(f"Loki answered resultType {data.get('resultType')!r}, not streams")
    return [
        (stream.get("stream", {}), value[1])
        for stream in data.get("result", [])
        for value in stream.get("values", [])
        if isinstance(value, list) and len(value) >= 2
    ]


async def logs(http: Http, platform: Platform, timeouts: Timeouts, run: Generation) -> str:
    url = _url(platform.loki_url, "/loki/api/v1/query_range")
    since = (run.sent_at or time.time()) - LOG_QUERY_LOOKBACK_SECONDS

    async def attempt() -> tuple[bool, str]:
        params = {
            "query": log_query(run.request_id),
            "start": str(int(since * 1e9)),
            "end": str(int((time.time() + 1) * 1e9)),
            "limit": "20",
            "direction": "backward",
        }
        answer = await http.internal(url, timeout=timeouts.request, params=params)
        if answer.status == 400:
            raise CheckFailed(f"Loki refused the query (400): {answer.quoted()}")
        for labels, line in _entries(_expect(answer, 200, f"GET {url}")):
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and entry.get("request_id") == run.request_id and "status" in entry:
                return True, f"status {entry['status']} logged by {labels.get('pod', 'the generator')}"
        return False, f"no log line of request {run.request_id} in Loki"

    done, message, waited = await _poll(attempt, timeouts.settle, timeouts.poll_interval)
    if not done:
        raise CheckFailed(f"{message} after {waited:.0f} s")
    return f"{message} (found after {waited:.0f} s)"
