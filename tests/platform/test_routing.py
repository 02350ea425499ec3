"""The public path holds together and gives the work behind it its time: HTTPRoute -> Gateway listener -> Service ->
port, with ReferenceGrants across namespaces, and route and stream idle timeouts that cover each backend's budget.

Guards finding 1 of the first real deployment: no rule set `timeouts`, so Envoy's 15 s default cut `/generate`
(JSON, zip and NDJSON) and the LLM API with 504s while the generator still had minutes of budget.
"""

from __future__ import annotations

from typing import Any

import pytest

from infra.contract.budgets import ENVOY_STREAM_IDLE_SECONDS
from tests.support.platform import LoadStack
from tests.support.platform.model import Object, Render
from tests.support.platform.routing import (
    policy_problems,
    route_problems,
    seconds_of,
    stream_idle_seconds,
    timeout_problems,
)


def test_both_renders_route_to_what_exists(platform_render: Render) -> None:
    assert route_problems(platform_render) == []


def test_both_renders_have_their_policies_target_and_read_what_exists(platform_render: Render) -> None:
    assert policy_problems(platform_render) == []


def test_both_renders_give_every_backend_its_budget(platform_render: Render) -> None:
    assert timeout_problems(platform_render) == []


def route(render: Render, name: str) -> Object:
    return render.one("HTTPRoute", "gateway", name)


def test_a_backend_port_the_service_lacks_is_caught(stack_render: LoadStack) -> None:
    broken = stack_render("dev").broken(
        lambda r: route(r, "generator")["spec"]["rules"][0]["backendRefs"][0].update(port=80)
    )
    assert route_problems(broken) == ["HTTPRoute generator: Service generator/generator has no port 80"]


def test_a_missing_reference_grant_is_caught(stack_render: LoadStack) -> None:
    broken = stack_render("dev").broken(lambda r: r.objects.remove(r.one("ReferenceGrant", "llm", "gateway-routes")))
    assert route_problems(broken) == ["HTTPRoute llm: no ReferenceGrant in llm lets it reach Service ollama"]


def test_a_listener_that_does_not_exist_or_admit_the_route_is_caught(stack_render: LoadStack) -> None:
    def edit(render: Render) -> None:
        route(render, "grafana")["spec"]["parentRefs"][0]["sectionName"] = "admin"
        moved = route(render, "llm")
        moved["metadata"]["namespace"] = "llm"

    problems = route_problems(stack_render("prod").broken(edit))
    assert "HTTPRoute grafana: Gateway public has no listener 'admin'" in problems
    assert "HTTPRoute llm: listener https admits routes of its own namespace only" in problems


def test_a_route_without_a_timeout_is_caught(stack_render: LoadStack) -> None:
    broken = stack_render("dev").broken(lambda r: route(r, "llm")["spec"]["rules"][1].pop("timeouts"))
    assert timeout_problems(broken) == [
        "HTTPRoute llm rule 1: timeout none (Envoy's 15s) is shorter than ollama's budget (245s)"
    ]


def test_a_timeout_shorter_than_the_budget_is_caught(stack_render: LoadStack) -> None:
    broken = stack_render("dev").broken(
        lambda r: route(r, "generator")["spec"]["rules"][0].update(timeouts={"request": "2m"})
    )
    assert timeout_problems(broken) == [
        "HTTPRoute generator rule 0: timeout 2m is shorter than generator's budget (245s)"
    ]


def test_a_stream_idle_timeout_below_the_route_timeout_is_caught(stack_render: LoadStack) -> None:
    def edit(render: Render) -> None:
        render.one("TrafficPolicy", "gateway", "api-streams")["spec"]["timeouts"]["streamIdle"] = "60s"

    problems = timeout_problems(stack_render("dev").broken(edit))
    assert "HTTPRoute generator rule 0: the stream idle timeout (60s) cuts a response before the route's" in problems


def test_every_timeout_follows_a_longer_request_budget(stack_render: LoadStack) -> None:
    """A budget past Envoy's 300 s idle default: routes and the stream idle policy follow it, and without the
    policy a silent response (a JSON answer sends nothing until the end) would be cut at 300 s."""
    render = stack_render("dev", {"generator": {"requestTimeoutSeconds": 600}})
    timeouts: dict[str, Any] = {
        name: [rule.get("timeouts") for rule in route(render, name)["spec"]["rules"]]
        for name in ("generator", "publish", "llm")
    }
    assert timeouts == {
        "generator": [{"request": "605s"}],
        "publish": [{"request": "605s"}],
        "llm": [{"request": "605s"}, {"request": "605s"}],
    }
    assert stream_idle_seconds(render, route(render, "llm")) == 605
    assert timeout_problems(render) == []

    broken = render.broken(lambda r: r.objects.remove(r.one("TrafficPolicy", "gateway", "api-streams")))
    assert stream_idle_seconds(broken, route(broken, "llm")) == ENVOY_STREAM_IDLE_SECONDS
    assert len(timeout_problems(broken)) == 4


@pytest.mark.parametrize(("text", "seconds"), [("245s", 245), ("1m30s", 90), ("1h", 3600), ("500ms", 0.5)])
def test_gateway_api_durations_are_read_in_seconds(text: str, seconds: float) -> None:
    assert seconds_of(text) == seconds


@pytest.mark.parametrize("text", ["245", "s", "1d", "-5s"])
def test_a_malformed_duration_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a Gateway API duration"):
        seconds_of(text)


def test_prod_api_keys_without_the_pod_that_keeps_them_synced_are_caught(stack_render: LoadStack) -> None:
    """The CSI driver writes the keys' Secret only while a pod mounts its SecretProviderClass: without the sync
    pod, kgateway's `apiKeyAuth` would read a Secret that never appears, and refuse every client."""
    broken = stack_render("prod").broken(lambda r: r.objects.remove(r.one("Deployment", "gateway", "api-key-sync")))
    assert policy_problems(broken) == [
        "TrafficPolicy gateway/api-auth: API keys: Secret gateway/api-key-secrets is synced from "
        "SecretProviderClass api-key-secrets, which no pod mounts"
    ]


def test_policies_naming_what_does_not_exist_are_caught(stack_render: LoadStack) -> None:
    def edit(render: Render) -> None:
        render.objects.remove(render.one("Secret", "gateway", "api-key-secrets"))
        render.one("TrafficPolicy", "gateway", "api-streams")["spec"]["targetRefs"][1]["name"] = "lm"

    assert policy_problems(stack_render("dev").broken(edit)) == [
        "TrafficPolicy gateway/api-auth: API keys: Secret gateway/api-key-secrets does not exist",
        "TrafficPolicy gateway/api-streams: target HTTPRoute lm does not exist",
    ]


def test_a_route_filter_naming_a_missing_direct_response_is_caught(stack_render: LoadStack) -> None:
    broken = stack_render("dev").broken(lambda r: r.objects.remove(r.one("DirectResponse", "gateway", "not-found")))
    assert route_problems(broken) == ["HTTPRoute grafana: filter DirectResponse not-found does not exist"]
