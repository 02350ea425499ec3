"""The generation budget as the render carries it, and the check that everything derived from it agrees.

The source of truth in a render is the app's own deadline: `REQUEST_TIMEOUT_SECONDS` in the generator's pods.
"""

from __future__ import annotations

from infra import topology
from infra.contract.budgets import PRE_STOP_SLEEP_SECONDS, GenerationBudget
from tests.support.platform.model import Pod, Render, env_value


def generator_pods(render: Render) -> list[Pod]:
    return [
        pod
        for pod in render.pods()
        if pod.spec is not None
        and pod.namespace == topology.NAMESPACE_GENERATOR
        and pod.labels.get("app.kubernetes.io/name") == topology.GENERATOR_APP
    ]


def generation_budget(render: Render) -> GenerationBudget | None:
    """The generator's `REQUEST_TIMEOUT_SECONDS` / `LLM_TIMEOUT_SECONDS`; None when no pod sets them."""
    for pod in generator_pods(render):
        request, call = env_value(pod, "REQUEST_TIMEOUT_SECONDS"), env_value(pod, "LLM_TIMEOUT_SECONDS")
        if request is not None and call is not None:
            return GenerationBudget(request_seconds=float(request), call_seconds=float(call))
    return None


def budget_problems(render: Render) -> list[str]:
    """Every generator pod (each track) has the one deadline, a backend call that fits in it, the container's own
    command (its flags are the server's timeouts and logging), and a grace period that lets the newest in-flight
    request finish: exactly what the budget formula says, and never less than drain + budget."""
    problems = []
    pods = generator_pods(render)
    if not pods:
        return [f"{render.stack}: no generator pod"]
    for pod in pods:
        spec = pod.spec or {}
        request, call = env_value(pod, "REQUEST_TIMEOUT_SECONDS"), env_value(pod, "LLM_TIMEOUT_SECONDS")
        if request is None or call is None:
            problems.append(f"{pod.workload}: REQUEST_TIMEOUT_SECONDS and LLM_TIMEOUT_SECONDS must both be set")
            continue
        budget = GenerationBudget(request_seconds=float(request), call_seconds=float(call))
        if budget.call_seconds > budget.request_seconds:
            problems.append(f"{pod.workload}: one backend call ({call}s) may outlast the request ({request}s)")
        (container,) = spec["containers"]
        if "command" in container or "args" in container:
            problems.append(f"{pod.workload}: overrides the image's command (and with it the server's flags)")
        drain = container.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
        grace = spec.get("terminationGracePeriodSeconds", 30)
        if drain != PRE_STOP_SLEEP_SECONDS:
            problems.append(f"{pod.workload}: preStop sleeps {drain}s, the budget counts {PRE_STOP_SLEEP_SECONDS}s")
        expected = budget.grace_period_seconds
        if grace != expected:
            problems.append(f"{pod.workload}: terminationGracePeriodSeconds {grace} is not the budget's {expected}")
        if grace < drain + budget.request_seconds:
            problems.append(f"{pod.workload}: a {grace}s grace period kills requests within their {request}s deadline")
    return problems
