"""`generator.appsDomain`, `generator.publishing` and the `githubToken` secret, validated with the rest of the stack.

Guards: publishing switched on without a token (every publish would fail at GitHub) or a token stored for nothing;
an owner GitHub would never accept; a client allowed to publish that has no API key; an apps domain that is only
reachable on the operator's own machine (prod) or that swallows a platform hostname (the `*.<appsDomain>` listener
would then serve the generator's host as a generated app).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.config import ConfigError, StackConfig, parse_config
from tests.support import stack_config

TOKEN = {"githubToken": "github_pat_CONFIG-TEST-token"}
PUBLISHING = {"owners": ["acme-corp", "octocat"], "clients": ["default"]}


def problems(stack: str, generator: dict[str, Any], secrets: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as error:
        stack_config(stack, {"generator": generator}, secrets=secrets)
    return error.value.problems


def test_publishing_is_off_and_the_apps_domain_follows_the_generator_host_by_default() -> None:
    dev, prod = stack_config("dev").platform, stack_config("prod").platform
    assert (dev.apps_domain, prod.apps_domain) == ("apps.prompt2prod.localhost", "apps.prompt2prod.example.com")
    assert not dev.generator.publishing.enabled
    assert not prod.generator.publishing.enabled


def test_owners_clients_and_token_switch_publishing_on() -> None:
    config = stack_config("prod", {"generator": {"publishing": PUBLISHING}}, secrets=TOKEN)
    assert config.platform.generator.publishing.enabled
    assert config.platform.generator.publishing.owners == ["acme-corp", "octocat"]
    assert config.has_secret("githubToken")


def test_owners_without_the_token_are_refused_naming_the_secret() -> None:
    assert problems("dev", {"publishing": PUBLISHING}) == [
        "prompt2prod:githubToken: required because generator.publishing.owners is set (acme-corp, octocat)"
    ]


def test_a_token_without_owners_is_refused() -> None:
    (problem,) = problems("dev", {}, secrets=TOKEN)
    assert problem.startswith("prompt2prod:githubToken: set, but generator.publishing.owners is empty")


def test_a_plaintext_token_is_refused() -> None:
    values = {
        "prompt2prod:environment": "dev",
        "prompt2prod:generator": json.dumps({"publishing": PUBLISHING}),
        "prompt2prod:githubToken": "github_pat_plaintext",
    }
    with pytest.raises(ConfigError) as error:
        parse_config(values, secret_keys=())
    assert error.value.problems == [
        "prompt2prod:githubToken: must be set as a secret (pulumi config set --secret githubToken ...)"
    ]


@pytest.mark.parametrize("owner", ["-acme", "acme-", "ac--me", "acme_corp", "a" * 40, "", "acme corp"])
def test_an_owner_github_would_not_accept_names_its_index(owner: str) -> None:
    publishing = {"owners": ["octocat", owner], "clients": ["default"]}
    (problem,) = problems("dev", {"publishing": publishing}, secrets=TOKEN)
    assert problem.startswith(f"prompt2prod:generator.publishing.owners[1]: {owner!r} is not a GitHub user")


def test_owners_differing_only_in_case_are_one_owner() -> None:
    publishing = {"owners": ["Acme", "acme"], "clients": ["default"]}
    (problem,) = problems("dev", {"publishing": publishing}, secrets=TOKEN)
    assert (
        problem == "prompt2prod:generator.publishing.owners: owners must be distinct (GitHub ignores case): Acme, acme"
    )


def test_an_owner_written_as_a_number_by_the_cli_is_a_login() -> None:
    # `pulumi config set --path generator.publishing.owners[0] 1234` stores the integer 1234.
    config = stack_config("dev", {"generator": {"publishing": {"owners": [1234], "clients": ["default"]}}}, TOKEN)
    assert config.platform.generator.publishing.owners == ["1234"]


def test_a_publishing_client_without_an_api_key_is_refused() -> None:
    publishing = {"owners": ["acme"], "clients": ["default", "ci-bot"]}
    assert problems("dev", {"publishing": publishing}, secrets=TOKEN) == [
        "prompt2prod:generator.publishing.clients[1]: 'ci-bot' not in gateway.apiClients ['default']: only a "
        "client with an API key can be allowed to publish"
    ]


def test_a_listed_client_may_publish() -> None:
    config: StackConfig = stack_config(
        "dev",
        {
            "gateway": {"apiClients": ["default", "ci-bot"]},
            "generator": {"publishing": {"owners": ["acme"], "clients": ["ci-bot"]}},
        },
        secrets=TOKEN,
    )
    assert config.platform.generator.publishing.clients == ["ci-bot"]


@pytest.mark.parametrize(
    ("publishing", "message"),
    [
        ({"owners": ["acme"]}, "owners are set but clients is empty"),
        ({"clients": ["default"]}, "clients are set but owners is empty"),
    ],
)
def test_half_a_publishing_setting_is_refused(publishing: dict[str, Any], message: str) -> None:
    secrets = TOKEN if publishing.get("owners") else None
    found = problems("dev", {"publishing": publishing}, secrets=secrets)
    assert found[0].startswith(f"prompt2prod:generator.publishing: {message}")


def test_prod_refuses_an_apps_domain_that_only_resolves_locally() -> None:
    assert problems("prod", {"appsDomain": "apps.localhost"}) == [
        "prompt2prod:generator.appsDomain: 'apps.localhost' only resolves on the machine itself: prod needs a DNS "
        "name that you point at the gateway's address (e.g. apps.example.com)"
    ]


def test_an_apps_domain_above_a_platform_host_is_refused() -> None:
    (problem,) = problems("prod", {"appsDomain": "prompt2prod.example.com"})
    assert problem.startswith(
        "prompt2prod:generator.appsDomain: 'prompt2prod.example.com' would take over generator.prompt2prod.example.com"
    )


def test_a_configured_apps_domain_wins_over_the_derived_one() -> None:
    assert stack_config("dev", {"generator": {"appsDomain": "sites.example.org"}}).platform.apps_domain == (
        "sites.example.org"
    )
