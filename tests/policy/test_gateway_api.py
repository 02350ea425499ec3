"""The route-matching evaluator follows the Gateway API precedence rules it claims (HTTPRoute API reference, v1.5).

Every public-surface test and rule trusts it: an evaluator that, say, let the first rule win instead of the Exact
path would call a leaking route safe.
"""

from __future__ import annotations

from typing import Any

import pytest

from policy.gateway_api import Request, route_request
from policy.rules import Resource

GATEWAY = Resource(
    "kubernetes:gateway.networking.k8s.io/v1:Gateway",
    "gw",
    "urn:gw",
    {"metadata": {"name": "public", "namespace": "gw"}, "spec": {"listeners": [{"name": "http", "port": 80}]}},
)


def route(name: str, hostnames: list[str], *rules: tuple[str, list[dict[str, Any]]]) -> Resource:
    """A route whose rules forward to a backend named like the rule."""
    spec = {
        "parentRefs": [{"name": "public"}],
        "hostnames": hostnames,
        "rules": [{"matches": matches, "backendRefs": [{"name": backend}]} for backend, matches in rules],
    }
    return Resource(
        "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
        name,
        f"urn:{name}",
        {"metadata": {"name": name, "namespace": "gw"}, "spec": spec},
    )


def prefix(value: str, **extra: Any) -> dict[str, Any]:
    return {"path": {"type": "PathPrefix", "value": value}, **extra}


def winner(routes: list[Resource], path: str, host: str = "a.example.com", **request: Any) -> str | None:
    match = route_request([GATEWAY, *routes], Request(host=host, path=path, **request))
    return None if match is None else str(match.backends[0]["name"])


def test_exact_beats_the_longest_prefix_which_beats_shorter_ones() -> None:
    r = route(
        "r",
        ["a.example.com"],
        ("root", [prefix("/")]),
        ("api", [prefix("/api")]),
        ("chat", [{"path": {"type": "Exact", "value": "/api/chat"}}]),
    )
    assert (winner([r], "/api/chat"), winner([r], "/api/tags"), winner([r], "/other")) == ("chat", "api", "root")


def test_prefixes_match_whole_path_elements() -> None:
    r = route("r", ["a.example.com"], ("models", [prefix("/v1/models/")]))
    assert (winner([r], "/v1/models"), winner([r], "/v1/models/x"), winner([r], "/v1/modelsx")) == (
        "models",
        "models",
        None,
    )


def test_then_method_then_header_count_then_rule_order() -> None:
    mode = [{"name": "x-llm-mode", "value": "cloud"}]
    r = route(
        "r",
        ["a.example.com"],
        ("first", [prefix("/")]),
        ("second", [prefix("/")]),
        ("cloud", [prefix("/", headers=mode)]),
        ("post", [prefix("/", method="POST")]),
    )
    assert winner([r], "/", headers=(("X-LLM-Mode", "cloud"),)) == "cloud"
    assert winner([r], "/", method="POST", headers=(("x-llm-mode", "cloud"),)) == "post"
    assert winner([r], "/") == "first"
    # A header sent twice is its values joined with commas: it no longer equals `cloud`.
    assert winner([r], "/", headers=(("x-llm-mode", "cloud"), ("x-llm-mode", "cloud"))) == "first"


@pytest.mark.parametrize(
    ("host", "expected"),
    [("a.example.com", "exact"), ("b.example.com", "wildcard"), ("other.test", "any"), ("a.example.com:8080", "exact")],
)
def test_the_most_specific_hostname_wins_and_its_rules_alone_count(host: str, expected: str) -> None:
    routes = [
        route("any", [], ("any", [prefix("/")])),
        route("wildcard", ["*.example.com"], ("wildcard", [prefix("/")])),
        route("exact", ["a.example.com"], ("exact", [{"path": {"type": "Exact", "value": "/only"}}])),
    ]
    assert winner(routes, "/only", host=host) == expected
    # Envoy picks the virtual host first: the exact host's route has no rule for `/`, so 404, not the wildcard.
    assert winner(routes, "/", host="a.example.com") is None


def test_a_request_on_another_port_meets_no_route() -> None:
    assert winner([route("r", [], ("r", [prefix("/")]))], "/", port=443) is None
