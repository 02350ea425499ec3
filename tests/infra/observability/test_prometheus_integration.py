"""A real Prometheus (Debian's binary) scrapes the real generator service and fires our availability alert.

Everything runs on 127.0.0.1 with free ports and a temporary data directory: a fake Ollama that can be switched
to failing, the generator under uvicorn, and Prometheus loaded with the scrape job derived from our ServiceMonitor
and the rule groups `infra.observability.slo_rules` builds (expressions unchanged; only the `for:` delays are
shortened and the scrape/evaluation interval is 1 s). Guards the promise that the SLO alert reacts to the service's
real metrics, not just to synthetic series: it goes pending, then firing, and resolves once traffic is healthy again.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from infra.observability import metric_catalog
from infra.observability.monitors import generator_service_monitor, scrape_config
from infra.observability.slo_rules import AlertDelays, SloTargets, rule_groups
from tests.support import processes
from tests.support.processes import free_port, http_server, running, wait_until

MODEL = "qwen2.5-coder:7b"
FAST_BURN = {"alertname": "GeneratorErrorBudgetBurn", "long_window": "1h", "short_window": "5m"}
DELAY = "3s"
BUDGET_SECONDS = 55.0


@dataclass
class FakeOllama:
    """Answers Ollama's `/api/tags`; `healthy = False` makes it answer 500 like a broken backend."""

    port: int
    healthy: bool = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _handler(state: FakeOllama) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            if not state.healthy:
                self._send(500, {"error": "fake backend failure"})
            elif self.path == "/api/tags":
                self._send(200, {"models": [{"name": MODEL, "model": MODEL, "size": 1, "details": {}}]})
            else:
                self._send(404, {"error": "not found"})

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@pytest.fixture(scope="module")
def ollama() -> Iterator[FakeOllama]:
    state = FakeOllama(port=free_port())
    with http_server(_handler(state), state.port):
        yield state


@pytest.fixture(scope="module")
def generator(ollama: FakeOllama, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "OLLAMA_BASE_URL": ollama.url,
        "GENERATOR_MODEL": MODEL,
        "CLOUD_LLM_BASE_URL": "http://127.0.0.1:9",
        "LLM_TIMEOUT_SECONDS": "5",
    }
    log = tmp_path_factory.mktemp("generator") / "uvicorn.log"
    args = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port)]
    with running(args, env, log) as process:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: httpx.get(f"{url}/health", timeout=1).status_code == 200, 20, f"the generator ({log})")
        assert process.poll() is None
        yield url


@pytest.fixture(scope="module")
def prometheus(generator: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    target = generator.removeprefix("http://")
    with processes.prometheus(
        tmp_path_factory.mktemp("prometheus"),
        [scrape_config(generator_service_monitor(), [target], "1s")],
        rule_groups(SloTargets(), AlertDelays(page=DELAY, ticket=DELAY, warning=DELAY)),
    ) as url:
        yield url


def _fast_burn_state(prometheus: str) -> str | None:
    alerts = httpx.get(f"{prometheus}/api/v1/alerts", timeout=2).json()["data"]["alerts"]
    states = [a["state"] for a in alerts if FAST_BURN.items() <= a["labels"].items()]
    return states[0] if states else None


def _exposed_names(exposition: str) -> set[str]:
    names: set[str] = set()
    for family in text_string_to_metric_families(exposition):
        if family.type == "histogram":
            names |= {f"{family.name}_{suffix}" for suffix in ("bucket", "sum", "count")}
        elif family.type == "counter":
            names.add(f"{family.name}_total")
        else:
            names.add(family.name)
    return names


def test_generator_exposes_every_metric_dashboards_and_alerts_use(generator: str) -> None:
    exposition = httpx.get(f"{generator}/metrics", timeout=5).text
    assert _exposed_names(exposition) >= metric_catalog.GENERATOR_METRICS


def test_availability_alert_pends_fires_and_resolves_on_real_scrapes(
    ollama: FakeOllama, generator: str, prometheus: str
) -> None:
    started = time.monotonic()
    with httpx.Client(base_url=generator, timeout=5) as client:
        ollama.healthy = True
        assert client.get("/models").status_code == 200

        ollama.healthy = False
        seen: list[str] = []
        errors = 0
        while "firing" not in seen:
            assert time.monotonic() - started < BUDGET_SECONDS / 2, f"no firing alert yet, states seen: {seen}"
            status = client.get("/models").status_code
            assert 500 <= status < 600
            errors += 1
            state = _fast_burn_state(prometheus)
            if state and (not seen or seen[-1] != state):
                seen.append(state)
            time.sleep(0.05)
        assert seen[:2] == ["pending", "firing"]

        # Healthy traffic dilutes the 5xx ratio of both windows below the 14.4x burn threshold.
        ollama.healthy = True
        while _fast_burn_state(prometheus) is not None:
            assert time.monotonic() - started < BUDGET_SECONDS, f"alert still active after {errors} errors"
            for _ in range(50):
                assert client.get("/models").status_code == 200
    assert time.monotonic() - started < BUDGET_SECONDS
