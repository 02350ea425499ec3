"""README's "Platform contract" section, generated from the contract data so that it cannot drift.

It is the `platform-contract` block of `make docs` (`tools.docs`); the test suite fails when README and the data
disagree.
"""

from __future__ import annotations

from collections.abc import Iterable

from infra.azure import ROLE_NAMES
from infra.config.generator import GeneratorConfig
from infra.contract.azure import ALLOWED_ACCESS, DENIED_ACCESS
from infra.contract.budgets import (
    GATEWAY_MARGIN_SECONDS,
    GRAFANA_BUDGET,
    GRAFANA_REQUEST_SECONDS,
    PRE_STOP_SLEEP_SECONDS,
    SHUTDOWN_MARGIN_SECONDS,
    GenerationBudget,
)
from infra.contract.flows import DENIED_FLOWS, REQUIRED_FLOWS, Endpoint, Flow


def _endpoint(endpoint: Endpoint) -> str:
    return f"{endpoint.name} (`{endpoint.namespace}`)" if endpoint.in_cluster else endpoint.name


def _flows(flows: Iterable[Flow]) -> list[str]:
    """One row per flow; the same flow over UDP and TCP (DNS) shares a row."""
    rows: dict[tuple[str, str, int, str, str], list[str]] = {}
    for f in flows:
        key = (_endpoint(f.source), _endpoint(f.destination), f.port, f.when, f.purpose)
        rows.setdefault(key, []).append(f.protocol)
    lines = ["| from | to | port | when | why |", "|---|---|---|---|---|"]
    lines += [
        f"| {source} | {destination} | {port}/{'+'.join(protocols)} | {when} | {purpose} |"
        for (source, destination, port, when, purpose), protocols in rows.items()
    ]
    return lines


def section() -> str:
    """The block's content for the default configuration."""
    config = GeneratorConfig()
    budget = GenerationBudget.from_config(config)
    lines = [
        "Stated once, as data, in `infra/contract/`; `tests/platform/` checks both renders against it (NetworkPolicies",
        "with Kubernetes semantics, routes, probes, references, monitors, alert selectors, Azure network rules).",
        "",
        "**Budgets.** One value, `generator.requestTimeoutSeconds`, sizes every timeout on a generation's way "
        "(defaults shown):",
        "",
        "| what | default | derived as |",
        "|---|---|---|",
        f"| the app's deadline per generation request (`REQUEST_TIMEOUT_SECONDS`) | {budget.request_seconds:g} s "
        "| `generator.requestTimeoutSeconds`, every attempt and the whole stream included |",
        f"| one backend call (`LLM_TIMEOUT_SECONDS`) | {budget.call_seconds:g} s "
        "| `generator.llmTimeoutSeconds`, at most the deadline |",
        f"| route timeout and stream idle timeout of the routes to the generator and Ollama | "
        f"{budget.gateway_seconds} s | deadline + {GATEWAY_MARGIN_SECONDS} s |",
        f"| route timeout of Grafana's route | {GRAFANA_BUDGET.gateway_seconds} s "
        f"| Grafana's own {GRAFANA_REQUEST_SECONDS} s data proxy timeout + {GATEWAY_MARGIN_SECONDS} s |",
        f"| the generator pod's `terminationGracePeriodSeconds` | {budget.grace_period_seconds} s "
        f"| {PRE_STOP_SLEEP_SECONDS} s drain (`preStop`) + deadline + {SHUTDOWN_MARGIN_SECONDS} s |",
        "",
        "**Flows that must be allowed** (Kubernetes NetworkPolicies):",
        "",
        *_flows(REQUIRED_FLOWS),
        "",
        "**Flows that must be denied:**",
        "",
        *_flows(DENIED_FLOWS),
        "",
        "**Azure (prod).** Who reaches each firewalled resource, from which network:",
        "",
        "| client | resource | as | role | why |",
        "|---|---|---|---|---|",
        *(
            f"| {a.client} | {a.resource} | {a.identity} | {ROLE_NAMES.get(a.role or '', '—')} | {a.purpose} |"
            for a in ALLOWED_ACCESS
        ),
        *(f"| {a.client} | {a.resource} | — | denied | {a.purpose} |" for a in DENIED_ACCESS),
    ]
    return "\n".join(lines)
