"""Runs every check once, concurrently where they are independent, each bounded by its own time limit.

The generation runs first in its own lane and the log check after it (it looks for that request's line); the
other checks run alongside. A check that raises anything but `CheckFailed` is a failed check with the exception
named, never a crash that would hide the other results.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from infra.verify import checks
from infra.verify.checks import Generation, Platform, Timeouts
from infra.verify.http import CheckFailed, Http, hostname
from infra.verify.report import CheckResult

# A check's outer limit is its own inner timeouts plus this margin: the inner ones give the precise message.
_MARGIN_SECONDS = 5.0

NAMES = (
    "generator /health",
    "generator /ready",
    "local generation",
    "LLM API models",
    "Prometheus targets",
    "critical alerts",
    "generator logs in Loki",
)


async def _timed(name: str, limit: float, check: Callable[[], Awaitable[str]]) -> CheckResult:
    started = time.monotonic()
    try:
        async with asyncio.timeout(limit):
            detail, passed = await check(), True
    except CheckFailed as failure:
        detail, passed = str(failure), False
    except TimeoutError:
        detail, passed = f"no verdict within {limit:g} s", False
    except Exception as error:  # one broken check must not hide the others' results
        detail, passed = f"{error.__class__.__name__}: {error}", False
    return CheckResult(name=name, passed=passed, detail=detail, seconds=time.monotonic() - started)


async def run_checks(
    platform: Platform,
    *,
    api_key: str,
    gateway_address: str | None,
    ca_file: Path | None = None,
    timeouts: Timeouts | None = None,
) -> list[CheckResult]:
    """Every check's result, in the order of `NAMES`."""
    timeouts = timeouts or Timeouts()
    http = Http(
        api_key=api_key,
        gateway_hosts=frozenset({hostname(platform.generator_url), hostname(platform.llm_url)}),
        gateway_address=gateway_address,
        ca_file=ca_file,
    )
    run = Generation(request_id=f"verify-{uuid.uuid4().hex}")
    quick = timeouts.request + _MARGIN_SECONDS
    settle = timeouts.settle + timeouts.request + _MARGIN_SECONDS

    async def generation_then_logs() -> list[CheckResult]:
        generated = await _timed(
            NAMES[2], timeouts.generation + _MARGIN_SECONDS, lambda: checks.generation(http, platform, timeouts, run)
        )
        logged = await _timed(NAMES[6], settle, lambda: checks.logs(http, platform, timeouts, run))
        return [generated, logged]

    try:
        health, ready, models, targets, alerts, (generated, logged) = await asyncio.gather(
            _timed(NAMES[0], quick, lambda: checks.health(http, platform, timeouts)),
            _timed(NAMES[1], quick, lambda: checks.ready(http, platform, timeouts)),
            _timed(NAMES[3], quick, lambda: checks.models(http, platform, timeouts)),
            _timed(NAMES[4], settle, lambda: checks.targets(http, platform, timeouts)),
            _timed(NAMES[5], quick, lambda: checks.alerts(http, platform, timeouts)),
            generation_then_logs(),
        )
    finally:
        await http.close()
    return [health, ready, generated, models, targets, alerts, logged]
