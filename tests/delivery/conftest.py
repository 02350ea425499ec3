"""A small platform on loopback for the verification tests, started once per test package and worker.

- the real generator service (uvicorn, the container's JSON log config) with the fake Ollama of tests/app;
- a fake public gateway in front of both, with API keys, routing by hostname (`*.verify.invalid`, names that
  DNS never resolves, so that only the connection to `gatewayAddress` reaches it);
- Debian's Prometheus twice, both scraping the generator and loading the platform's real rule groups:
  `healthy` with the production alert delays (the alert on Ollama's readiness, which has no kube-state-metrics
  here, stays pending) plus a Watchdog-like alert that always fires with severity `none`; `broken` with one-second
  delays (that alert fires, severity `page`) and a scrape target nobody listens on;
- a fake Loki, fed with the generator's stdout by a log shipper.

`platform` (per test) hands the running pieces over and puts every knob back afterwards.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from infra.observability.monitors import generator_service_monitor, scrape_config
from infra.observability.slo_rules import AlertDelays, SloTargets, rule_groups
from infra.verify.checks import Platform
from tests.app.fakes import DEFAULT_MODEL, FakeOllama, project_answer
from tests.delivery.fakes import FakeGateway, FakeLoki, LogShipper
from tests.support import RenderStack
from tests.support.processes import ServerThread, free_port, prometheus, running, wait_until

GENERATOR_HOST = "generator.verify.invalid"
LLM_HOST = "llm.verify.invalid"
API_KEY = "verify-key-0123456789abcdef"
WATCHDOG = {
    "name": "watchdog",
    "rules": [{"alert": "Watchdog", "expr": "vector(1)", "labels": {"severity": "none"}}],
}


@dataclass
class Running:
    server: ServerThread
    ollama: FakeOllama
    gateway: FakeGateway
    loki: FakeLoki
    shipper: LogShipper
    generator_url: str
    gateway_url: str
    loki_url: str
    healthy_prometheus: str
    broken_prometheus: str
    base_outputs: dict[str, Any]

    def outputs(self, **changes: Any) -> dict[str, Any]:
        return {**self.base_outputs, **changes}

    def platform(self, *, prometheus_url: str | None = None, models: tuple[str, ...] = (DEFAULT_MODEL,)) -> Platform:
        port = self.gateway_url.rsplit(":", 1)[1]
        return Platform(
            generator_url=f"http://{GENERATOR_HOST}:{port}",
            llm_url=f"http://{LLM_HOST}:{port}",
            models=models,
            prometheus_url=prometheus_url or self.healthy_prometheus,
            loki_url=self.loki_url,
        )


def _firing(url: str, alertname: str) -> bool:
    alerts = httpx.get(f"{url}/api/v1/alerts", timeout=2).json()["data"]["alerts"]
    return any(a["labels"]["alertname"] == alertname and a["state"] == "firing" for a in alerts)


def _targets_up(url: str, count: int) -> bool:
    active = httpx.get(f"{url}/api/v1/targets", timeout=2).json()["data"]["activeTargets"]
    return sum(target["health"] == "up" for target in active) >= count


@pytest.fixture(scope="package")
def running_platform(render_stack: RenderStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    workdir = tmp_path_factory.mktemp("platform")
    with ServerThread() as server:
        ollama = FakeOllama()
        server.run(ollama.start())
        loki = FakeLoki()
        loki_url = server.serve(loki.app())
        port = free_port()
        generator_url = f"http://127.0.0.1:{port}"
        gateway = FakeGateway(keys={"verify": API_KEY}, routes={GENERATOR_HOST: generator_url, LLM_HOST: ollama.url})
        gateway_url = server.serve(gateway.app())
        env = {
            **os.environ,
            "OLLAMA_BASE_URL": ollama.url,
            "GENERATOR_MODEL": DEFAULT_MODEL,
            "CLOUD_LLM_BASE_URL": "http://127.0.0.1:9",
            "LLM_TIMEOUT_SECONDS": "5",
        }
        log = workdir / "generator.log"
        args = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port)]
        args += ["--no-access-log", "--log-config", "app/logging.json"]
        target = [scrape_config(generator_service_monitor(), [f"127.0.0.1:{port}"], "1s")]
        dead = {"job_name": "ollama-exporter", "static_configs": [{"targets": [f"127.0.0.1:{free_port()}"]}]}
        quick = AlertDelays(page="1s", ticket="1s", warning="1s")
        with (
            running(args, env, log),
            LogShipper(log, loki_url) as shipper,
            prometheus(workdir / "healthy", target, [*rule_groups(SloTargets()), WATCHDOG]) as healthy,
            prometheus(workdir / "broken", [*target, dead], rule_groups(SloTargets(), quick)) as broken,
        ):
            wait_until(lambda: httpx.get(f"{generator_url}/health", timeout=1).status_code == 200, 20, "the generator")
            wait_until(lambda: _targets_up(healthy, 1), 20, "the healthy Prometheus to scrape the generator")
            wait_until(lambda: _firing(healthy, "Watchdog"), 20, "the Watchdog alert to fire")
            wait_until(lambda: _firing(broken, "OllamaNotReady"), 20, "OllamaNotReady to fire")
            outputs = {
                **render_stack("dev").outputs,
                "generatorUrl": f"http://{GENERATOR_HOST}:{gateway_url.rsplit(':', 1)[1]}",
                "llmUrl": f"http://{LLM_HOST}:{gateway_url.rsplit(':', 1)[1]}",
                "gatewayAddress": "127.0.0.1",
                "ollamaModels": [DEFAULT_MODEL],
            }
            yield Running(
                server=server,
                ollama=ollama,
                gateway=gateway,
                loki=loki,
                shipper=shipper,
                generator_url=generator_url,
                gateway_url=gateway_url,
                loki_url=loki_url,
                healthy_prometheus=healthy,
                broken_prometheus=broken,
                base_outputs=outputs,
            )
        server.run(ollama.stop())


@pytest.fixture
def platform(running_platform: Running) -> Iterator[Running]:
    """The running platform, with every knob a test may turn put back afterwards."""
    yield running_platform
    running_platform.ollama.answer_with(project_answer())
    running_platform.ollama.models = [DEFAULT_MODEL, "llama3.2:latest"]
    running_platform.ollama.tags_delay = 0.0
    running_platform.loki.delay = 0.0
    running_platform.shipper.paused = False
    running_platform.gateway.routes[GENERATOR_HOST] = running_platform.generator_url


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "api-key"
    path.write_text(API_KEY + "\n")
    path.chmod(0o600)
    return path
