"""The budget arithmetic: one request deadline sizes the gateway's timeouts and the pod's grace period.

Guards: a grace period sized by one LLM call while a request may make several (finding 4), a route timeout below
the deadline (the gateway's 504 would overtake the app's own answer), and a new route target left without a budget.
"""

from __future__ import annotations

import pytest

from infra import topology
from infra.config.generator import GeneratorConfig
from infra.contract.budgets import GRAFANA_BUDGET, GenerationBudget, backend_budget, duration


def test_the_grace_period_outlasts_a_whole_request_after_the_drain() -> None:
    budget = GenerationBudget.from_config(GeneratorConfig())
    assert (budget.request_seconds, budget.call_seconds) == (240, 120)
    assert budget.grace_period_seconds == 5 + 240 + 10
    assert GenerationBudget(request_seconds=0.5, call_seconds=0.5).grace_period_seconds == 5 + 1 + 10


def test_the_gateway_waits_a_little_longer_than_the_backend() -> None:
    budget = GenerationBudget(request_seconds=239.2, call_seconds=60)
    assert budget.gateway_seconds == 240 + 5
    assert duration(budget.gateway_seconds) == "245s"
    assert GRAFANA_BUDGET.gateway_seconds == 35


def test_every_route_target_has_a_budget_and_an_unknown_one_has_none() -> None:
    generation = GenerationBudget(request_seconds=100, call_seconds=50)
    for service in (topology.GENERATOR_SERVICE, topology.GENERATOR_CANARY_SERVICE, topology.OLLAMA_SERVICE):
        assert backend_budget(service, generation) is generation
    assert backend_budget(topology.GRAFANA_SERVICE, generation) is GRAFANA_BUDGET
    with pytest.raises(KeyError):
        backend_budget("loki", generation)
