"""Every check of the post-deploy verification passes on a healthy platform and fails, with a message that
names the cause, on a broken one: over real HTTP against the real generator, Debian's Prometheus and a fake Loki
and gateway (tests/delivery/conftest.py).

Guards the verification's promise: a deploy that serves errors, lacks a model, leaves a target down, fires a
critical alert, or loses its logs is caught, a wrong credential is named as such, and a slow component costs
its timeout, not the whole job's.
"""

from __future__ import annotations

import asyncio
import re
import time

from infra.verify.checks import Platform, Timeouts
from infra.verify.report import CheckResult
from infra.verify.runner import NAMES, run_checks
from tests.app.fakes import DEFAULT_MODEL
from tests.delivery.conftest import API_KEY, GENERATOR_HOST, Running
from tests.support.processes import free_port

FAST = Timeouts(request=2.0, generation=10.0, settle=5.0, poll_interval=0.2)
IMPATIENT = Timeouts(request=1.0, generation=10.0, settle=1.0, poll_interval=0.2)


def verify(
    platform: Platform, *, api_key: str = API_KEY, gateway_address: str | None = "127.0.0.1", timeouts: Timeouts = FAST
) -> dict[str, CheckResult]:
    results = asyncio.run(run_checks(platform, api_key=api_key, gateway_address=gateway_address, timeouts=timeouts))
    assert [result.name for result in results] == list(NAMES)
    return {result.name: result for result in results}


def failed(results: dict[str, CheckResult]) -> set[str]:
    return {name for name, result in results.items() if not result.passed}


def test_a_healthy_platform_passes_every_check(platform: Running) -> None:
    results = verify(platform.platform())

    assert failed(results) == set(), {name: r.detail for name, r in results.items() if not r.passed}
    assert results["generator /ready"].detail == f"ready with model {DEFAULT_MODEL}"
    # The gateway replaced the request id sent (as an edge Envoy does): the log check follows the service's.
    request_id = results["local generation"].detail.rsplit("(request ", 1)[1].rstrip(")")
    assert not request_id.startswith("verify-")
    generated = rf"\d+ files from {re.escape(DEFAULT_MODEL)} \(request {request_id}\)"
    assert re.fullmatch(generated, results["local generation"].detail)
    assert results["LLM API models"].detail == f"all 1 configured models served: {DEFAULT_MODEL}"
    assert results["Prometheus targets"].detail == "all 1 targets up"
    # Watchdog-style alerts always fire and pending ones have not fired yet: neither fails a deploy.
    assert results["critical alerts"].detail == "no critical alert firing; other firing alerts: Watchdog (none)"
    assert results["generator logs in Loki"].detail.startswith("status 200 logged by generator-")
    assert any(request_id in line for line in platform.loki.lines())


def test_the_gateway_gets_the_key_and_the_service_only_the_client_name(platform: Running) -> None:
    platform.gateway.forwarded.clear()
    verify(platform.platform())

    assert platform.gateway.forwarded
    assert all(headers["x-prompt2prod-client"] == "verify" for headers in platform.gateway.forwarded)
    assert all(API_KEY not in str(headers) for headers in platform.gateway.forwarded)


def test_health_fails_when_the_gateway_has_no_healthy_upstream(platform: Running) -> None:
    platform.gateway.routes[GENERATOR_HOST] = f"http://127.0.0.1:{free_port()}"

    results = verify(platform.platform(), timeouts=IMPATIENT)

    assert {"generator /health", "generator /ready", "local generation"} <= failed(results)
    assert "/health answered 503: no healthy upstream" in results["generator /health"].detail
    assert "LLM API models" not in failed(results)


def test_ready_fails_with_the_services_reason_when_its_model_is_gone(platform: Running) -> None:
    platform.ollama.models = ["qwen2.5-coder:7b"]

    results = verify(platform.platform())

    assert "generator /health" not in failed(results)
    assert "/ready answered 503: not ready:" in results["generator /ready"].detail
    assert DEFAULT_MODEL in results["generator /ready"].detail


def test_generation_fails_on_unusable_model_output_and_its_log_line_still_arrives(platform: Running) -> None:
    platform.ollama.answer_with("this is not a project")

    results = verify(platform.platform())

    assert failed(results) == {"local generation"}
    assert "answered 502" in results["local generation"].detail
    assert results["generator logs in Loki"].detail.startswith("status 502 logged by")


def test_models_fails_naming_the_configured_model_the_llm_api_lacks(platform: Running) -> None:
    results = verify(platform.platform(models=(DEFAULT_MODEL, "qwen2.5-coder:7b")))

    assert failed(results) == {"LLM API models"}
    assert results["LLM API models"].detail.startswith("configured but not served: qwen2.5-coder:7b")


def test_targets_fail_naming_the_target_that_is_down(platform: Running) -> None:
    results = verify(platform.platform(prometheus_url=platform.broken_prometheus), timeouts=IMPATIENT)

    detail = results["Prometheus targets"].detail
    assert "Prometheus targets" in failed(results)
    assert detail.startswith("1 of 2 targets not up: ollama-exporter http://127.0.0.1:")
    assert "is down" in detail


def test_a_firing_critical_alert_fails_naming_it(platform: Running) -> None:
    results = verify(platform.platform(prometheus_url=platform.broken_prometheus), timeouts=IMPATIENT)

    assert "critical alerts" in failed(results)
    assert "OllamaNotReady (page)" in results["critical alerts"].detail


def test_logs_fail_when_the_line_never_reaches_loki(platform: Running) -> None:
    platform.shipper.paused = True

    results = verify(platform.platform(), timeouts=IMPATIENT)

    assert failed(results) == {"generator logs in Loki"}
    assert results["generator logs in Loki"].detail.startswith("no log line of request ")


def test_a_wrong_credential_is_named_and_only_fails_the_gateway_checks(platform: Running) -> None:
    results = verify(platform.platform(), api_key="not-the-key", timeouts=IMPATIENT)

    gateway_checks = {"generator /health", "generator /ready", "local generation", "LLM API models"}
    assert gateway_checks <= failed(results)
    assert {"Prometheus targets", "critical alerts"}.isdisjoint(failed(results))
    for name in gateway_checks:
        assert "the gateway refused the credential (401)" in results[name].detail
        assert "not-the-key" not in results[name].detail


def test_a_slow_component_costs_its_timeout_not_the_runs(platform: Running) -> None:
    platform.loki.delay = platform.ollama.tags_delay = 5.0
    started = time.monotonic()

    results = verify(platform.platform(), timeouts=IMPATIENT)

    # The service's readiness asks the slow Ollama too.
    assert failed(results) == {"generator /ready", "LLM API models", "generator logs in Loki"}
    for name in ("generator /ready", "LLM API models", "generator logs in Loki"):
        assert "no complete answer within 1 s" in results[name].detail
        assert results[name].seconds < 2.0
    assert time.monotonic() - started < 4.0


def test_public_hostnames_reach_the_gateway_through_its_address_not_dns(platform: Running) -> None:
    results = verify(platform.platform(), gateway_address=None, timeouts=IMPATIENT)

    assert "generator /health" in failed(results)
    assert "verify.invalid" in results["generator /health"].detail
