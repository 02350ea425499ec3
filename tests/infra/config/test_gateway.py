"""`prompt2prod:gateway` validation: bad values fail at load with the key named, prod rules apply to defaults."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.config import ConfigError, parse_config
from tests.support import stack_input


def problems(stack: str, gateway: dict[str, Any]) -> list[str]:
    given = stack_input(stack, {"gateway": gateway})
    with pytest.raises(ConfigError) as caught:
        parse_config(given.values, given.secret_keys)
    return caught.value.problems


def test_prod_defaults_to_tls_and_two_replicas_of_controller_and_proxy() -> None:
    given = stack_input("prod")
    gateway = parse_config(given.values, given.secret_keys).platform.gateway
    assert gateway.tls == "selfSigned"
    assert gateway.controller.replicas == 2
    assert gateway.proxy.replicas == 2
    assert gateway.scheme == "https"


def test_dev_defaults_to_plain_http() -> None:
    given = stack_input("dev")
    gateway = parse_config(given.values, given.secret_keys).platform.gateway
    assert gateway.tls == "none"
    assert gateway.scheme == "http"


def test_prod_refuses_a_listener_without_tls() -> None:
    assert any(p.startswith("prompt2prod:gateway.tls: TLS is required") for p in problems("prod", {"tls": "none"}))


def test_prod_refuses_a_single_controller_replica() -> None:
    found = problems("prod", {"controller": {"replicas": 1}})
    assert any(p.startswith("prompt2prod:gateway.controller.replicas: prod runs at least 2") for p in found)


def test_prod_refuses_a_single_proxy_replica() -> None:
    found = problems("prod", {"proxy": {"replicas": 1}})
    assert any(p.startswith("prompt2prod:gateway.proxy.replicas: prod runs at least 2") for p in found)


def test_hostnames_must_differ() -> None:
    found = problems("dev", {"generatorHostname": "same.example.com", "llmHostname": "same.example.com"})
    assert any("must differ" in p and p.startswith("prompt2prod:gateway") for p in found)


def test_hostname_must_be_a_dns_name() -> None:
    found = problems("dev", {"llmHostname": "LLM_host"})
    assert any(p.startswith("prompt2prod:gateway.llmHostname:") for p in found)


@pytest.mark.parametrize("weight", [-1, 101])
def test_canary_weight_is_a_percentage(weight: int) -> None:
    found = problems("dev", {"canary": {"enabled": True, "imageTag": "0.2.0", "weight": weight}})
    assert any(p.startswith("prompt2prod:gateway.canary.weight:") for p in found)


def test_enabled_canary_needs_an_image_tag() -> None:
    found = problems("dev", {"canary": {"enabled": True}})
    assert any("imageTag is required" in p for p in found)


def test_secret_tls_needs_both_config_secrets() -> None:
    found = problems("dev", {"tls": "secret"})
    assert "prompt2prod:tlsCertificate: required because gateway.tls is 'secret'" in found
    assert "prompt2prod:tlsPrivateKey: required because gateway.tls is 'secret'" in found


def test_request_limits_have_bounds() -> None:
    found = problems("dev", {"maxRequestBytes": 10, "requestsPerMinute": 0})
    assert any(p.startswith("prompt2prod:gateway.maxRequestBytes:") for p in found)
    assert any(p.startswith("prompt2prod:gateway.requestsPerMinute:") for p in found)


def test_unknown_gateway_key_is_named() -> None:
    assert "prompt2prod:gateway.canery: unknown key" in problems("dev", {"canery": json.loads("{}")})


@pytest.mark.parametrize("hostname", ["generator.prompt2prod.localhost", "localhost", "app.localhost"])
def test_prod_refuses_hostnames_that_only_resolve_on_this_machine(hostname: str) -> None:
    """A public prod platform on `*.localhost` is unreachable by anyone else: prod names real DNS hostnames."""
    lines = problems("prod", {"generatorHostname": hostname})
    assert any(
        line.startswith(f"prompt2prod:gateway.generatorHostname: '{hostname}' only resolves on the machine itself")
        for line in lines
    ), lines


def test_dev_keeps_its_localhost_hostnames() -> None:
    given = stack_input("dev")
    assert parse_config(given.values, given.secret_keys).platform.gateway.generator_hostname.endswith(".localhost")


def test_api_clients_default_to_one_and_must_be_distinct_valid_names() -> None:
    given = stack_input("dev")
    assert parse_config(given.values, given.secret_keys).platform.gateway.api_clients == ["default"]
    assert any("listed more than once" in p for p in problems("dev", {"apiClients": ["ci", "ci"]}))
    assert any(
        p.startswith("prompt2prod:gateway.apiClients[0]: 'CI' is not a client name")
        for p in problems("dev", {"apiClients": ["CI"]})
    )
    assert any(p.startswith("prompt2prod:gateway.apiClients:") for p in problems("dev", {"apiClients": []}))


def api_key_problems(keys: str, clients: list[str]) -> list[str]:
    given = stack_input("dev", {"gateway": {"apiClients": clients}}, secrets={"apiKeys": keys})
    with pytest.raises(ConfigError) as caught:
        parse_config(given.values, given.secret_keys)
    return caught.value.problems


def test_api_keys_name_configured_clients_and_are_never_echoed() -> None:
    found = api_key_problems(json.dumps({"ci": "KEY-VALUE-1", "bob": "KEY-VALUE-2", "ops": ""}), ["ci", "ops"])
    assert found == [
        "prompt2prod:apiKeys.ops: must be a non-empty string",
        "prompt2prod:apiKeys.bob: 'bob' is not in gateway.apiClients ['ci', 'ops']",
    ]
    assert api_key_problems("not-a-map", ["ci"])[0].startswith("prompt2prod:apiKeys: must be a map of client name")


def test_api_keys_must_be_a_secret() -> None:
    given = stack_input("dev")
    values = {**given.values, "prompt2prod:apiKeys": json.dumps({"default": "k"})}
    with pytest.raises(ConfigError) as caught:
        parse_config(values, given.secret_keys)
    assert caught.value.problems == [
        "prompt2prod:apiKeys: must be set as a secret (pulumi config set --secret apiKeys ...)"
    ]


def test_the_config_knows_which_clients_have_a_provided_key() -> None:
    given = stack_input("dev", {"gateway": {"apiClients": ["ci", "ops"]}}, secrets={"apiKeys": json.dumps({"ci": "k"})})
    assert parse_config(given.values, given.secret_keys).api_key_names == frozenset({"ci"})
