"""Time budgets: how long the work behind each route may take, and every timeout derived from it.

One configured value, `generator.requestTimeoutSeconds` (the app's `REQUEST_TIMEOUT_SECONDS`: one deadline per
generation request, every backend attempt and the whole stream included), sets:
- the gateway's route timeout (`timeouts.request`) and stream idle timeout of every rule that reaches the generator
  or Ollama: the budget plus `GATEWAY_MARGIN_SECONDS`, so that the app's own 504 or NDJSON error event reaches the
  client before Envoy gives up;
- the generator pod's `terminationGracePeriodSeconds`: the `preStop` drain sleep, a request admitted just before
  SIGTERM finishing within the budget, and `SHUTDOWN_MARGIN_SECONDS` for the server to exit.
Nothing here is set independently of that value. Pure data and arithmetic: no Pulumi, no resources.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from infra import topology
from infra.config.generator import GeneratorConfig

PRE_STOP_SLEEP_SECONDS: Final = 5
"""Time for the endpoint removal to reach kube-proxy and the gateway's Envoy before the app sees SIGTERM."""
SHUTDOWN_MARGIN_SECONDS: Final = 10
"""After the last in-flight request ends: uvicorn closes connections and the process exits."""
GATEWAY_MARGIN_SECONDS: Final = 5
"""The gateway waits this much longer than the backend's budget, so the backend's own timeout answer gets through."""
ENVOY_ROUTE_TIMEOUT_SECONDS: Final = 15
"""What Envoy allows a route without `timeouts` (kgateway sets a route timeout only when one is configured)."""
ENVOY_STREAM_IDLE_SECONDS: Final = 300
"""Envoy's (and kgateway's) stream idle timeout when no policy sets one: a response silent this long is cut."""
GRAFANA_REQUEST_SECONDS: Final = 30
"""Grafana's own upper bound on a request it proxies to a data source (`[dataproxy] timeout`, its default)."""


def duration(seconds: int) -> str:
    """A Gateway API / kgateway duration (`^([0-9]{1,5}(h|m|s|ms)){1,4}$`) in whole seconds."""
    return f"{seconds}s"


@dataclass(frozen=True, kw_only=True)
class RequestBudget:
    """How long one request to a backend may take, and what the gateway allows it."""

    request_seconds: float
    """The backend's own deadline for a whole request."""

    @property
    def gateway_seconds(self) -> int:
        """The route timeout (and stream idle timeout) of every gateway rule that reaches this backend."""
        return math.ceil(self.request_seconds) + GATEWAY_MARGIN_SECONDS


@dataclass(frozen=True, kw_only=True)
class GenerationBudget(RequestBudget):
    """The generator's budget: `REQUEST_TIMEOUT_SECONDS`, bounding `LLM_TIMEOUT_SECONDS` calls inside it."""

    call_seconds: float
    """One backend call (`LLM_TIMEOUT_SECONDS`), never more than `request_seconds`."""

    @classmethod
    def from_config(cls, config: GeneratorConfig) -> GenerationBudget:
        return cls(request_seconds=config.request_timeout_seconds, call_seconds=config.llm_timeout_seconds)

    @property
    def grace_period_seconds(self) -> int:
        """`terminationGracePeriodSeconds`: drain, then the newest in-flight request's whole budget, then exit."""
        return PRE_STOP_SLEEP_SECONDS + math.ceil(self.request_seconds) + SHUTDOWN_MARGIN_SECONDS


GRAFANA_BUDGET: Final = RequestBudget(request_seconds=GRAFANA_REQUEST_SECONDS)


def backend_budget(service: str, generation: GenerationBudget) -> RequestBudget:
    """The budget of the work behind a Service the gateway routes to. A new route target needs an entry here: the
    KeyError is on purpose (a route left without a timeout gets Envoy's 15 s)."""
    budgets: dict[str, RequestBudget] = {
        topology.GENERATOR_SERVICE: generation,
        topology.GENERATOR_CANARY_SERVICE: generation,
        # Ollama's own generate and chat calls through the LLM API take as long as the generator's.
        topology.OLLAMA_SERVICE: generation,
        topology.GRAFANA_SERVICE: GRAFANA_BUDGET,
    }
    return budgets[service]
