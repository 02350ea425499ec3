"""Who may publish, where, and with which token: only clients named in PUBLISH_CLIENTS, only to owners in
PUBLISH_OWNERS, refused before GitHub is called; the token (from GITHUB_TOKEN_FILE, read on each use) reaches
GitHub and nothing else: never a log line, never a response. Projects sent to publish obey the project rules.
"""

import logging
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.budget import CLIENT_HEADER
from tests.app.conftest import ServiceFactory, closed_port_url
from tests.app.fake_github import TOKEN, FakeGitHub
from tests.support.exposition import scrape, value

FILES = [{"path": "main.py", "content": "print('hi')\n"}]


async def post(service: Any, body: dict[str, Any], **headers: str) -> httpx.Response:
    response: httpx.Response = await service.client.post("/publish", json=body, headers=headers)
    return response


@pytest.mark.parametrize(
    ("overrides", "headers", "repository", "detail"),
    [
        ({"publish_owners": []}, {}, "acme/app", "publishing is off on this service (PUBLISH_OWNERS is empty)"),
        ({"publish_clients": []}, {}, "acme/app", "publishing is off on this service (PUBLISH_CLIENTS is empty)"),
        ({}, {CLIENT_HEADER: "intruder"}, "acme/app", "client 'intruder' may not publish"),
        ({}, {CLIENT_HEADER: ""}, "acme/app", "publishing needs an API key"),
        ({}, {}, "evilcorp/app", "publishing to the owner 'evilcorp' is not allowed"),
        ({}, {}, "acme-evil/app", "publishing to the owner 'acme-evil' is not allowed"),
    ],
)
async def test_publishing_is_refused_before_github_is_called(
    service_factory: ServiceFactory,
    github: FakeGitHub,
    publishing: dict[str, Any],
    overrides: dict[str, Any],
    headers: dict[str, str],
    repository: str,
    detail: str,
) -> None:
    service = await service_factory(**{**publishing, **overrides})

    response = await post(service, {"repository": repository, "files": FILES}, **headers)

    assert response.status_code == 403
    assert detail in response.json()["detail"]
    assert github.calls == []
    samples = scrape((await service.client.get("/metrics")).text)
    assert value(samples, "generator_publishes_total", outcome="forbidden") == 1


async def test_owners_are_compared_as_github_compares_them_ignoring_case(
    service_factory: ServiceFactory, github: FakeGitHub, publishing: dict[str, Any]
) -> None:
    service = await service_factory(**publishing)

    response = await post(service, {"repository": "ACME/app", "files": FILES})

    assert response.status_code == 200, response.text


async def test_without_a_token_publishing_answers_503_saying_what_to_set(
    service_factory: ServiceFactory, github: FakeGitHub, publishing: dict[str, Any], tmp_path: Path
) -> None:
    unset = await service_factory(**{**publishing, "github_token": None})
    missing = await service_factory(**{**publishing, "github_token_file": tmp_path / "absent"})

    for service, reason in ((unset, "set GITHUB_TOKEN or GITHUB_TOKEN_FILE"), (missing, "does not exist")):
        response = await post(service, {"repository": "acme/app", "files": FILES})
        assert response.status_code == 503
        assert response.json()["detail"].startswith("publishing is not configured")
        assert reason in response.json()["detail"]
    assert github.calls == []


async def test_a_rotated_token_file_is_used_without_a_restart(
    service_factory: ServiceFactory, github: FakeGitHub, publishing: dict[str, Any], tmp_path: Path
) -> None:
    token_file = tmp_path / "github-token"
    token_file.write_text("github_pat_revoked\n")
    # The file wins over GITHUB_TOKEN, which here is the valid one.
    service = await service_factory(**{**publishing, "github_token_file": token_file})

    before = await post(service, {"repository": "acme/app", "files": FILES})
    token_file.write_text(TOKEN + "\n")
    after = await post(service, {"repository": "acme/app", "files": FILES})

    assert before.status_code == 403
    assert "refused the token" in before.json()["detail"]
    assert after.status_code == 200, after.text


async def test_the_token_reaches_github_and_never_a_log_line_or_a_response(
    service_factory: ServiceFactory,
    github: FakeGitHub,
    publishing: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    service = await service_factory(**{**publishing, "log_level": "DEBUG"})
    github.break_on = ("tree", 1, "500")

    answers = [
        await post(service, {"repository": "acme/app", "files": FILES}),  # 502
        await post(service, {"repository": "acme/app", "files": FILES}),  # published
        await post(service, {"repository": "acme/app", "files": FILES, "branch": "taken"}),
        await post(service, {"repository": "acme/app", "files": FILES, "branch": "taken"}),  # 409
    ]
    github.rate_limited = "primary"
    answers.append(await post(service, {"repository": "acme/app", "files": FILES}))

    assert [answer.status_code for answer in answers] == [502, 200, 200, 409, 429]
    assert all(headers["Authorization"] == f"Bearer {TOKEN}" for headers in github.headers_seen)
    for answer in answers:
        assert TOKEN not in answer.text
        assert TOKEN not in str(answer.headers)
    # The service logs JSON to stdout (app/logs.py); other libraries' records reach caplog too.
    logged = capsys.readouterr()
    assert TOKEN not in logged.out + logged.err + caplog.text
    assert '"message":"published"' in logged.out
    assert '"level":"debug"' in logged.out


async def test_github_gets_the_headers_its_api_asks_for(
    service_factory: ServiceFactory, github: FakeGitHub, publishing: dict[str, Any]
) -> None:
    service = await service_factory(**publishing)

    await post(service, {"repository": "acme/app", "files": FILES})

    for headers in github.headers_seen:
        assert headers["Accept"] == "application/vnd.github+json"
        assert headers["X-GitHub-Api-Version"] == "2022-11-28"
        assert headers["User-Agent"].startswith("prompt2prod")


@pytest.mark.parametrize(
    ("files", "detail"),
    [
        ([{"path": "../escape.py", "content": ""}], "file #1: path contains '..'"),
        ([{"path": ".git/config", "content": ""}], "file #1: path is inside .git"),
        ([{"path": "a.py", "content": ""}, {"path": "A.py", "content": ""}], "file #2: duplicate path"),
        ([{"path": "src", "content": ""}, {"path": "src/a.py", "content": ""}], "file #2: a file of the project"),
        ([{"path": "big.txt", "content": "x" * (256 * 1024 + 1)}], "file #1: larger than 262144 bytes"),
        ([{"path": f"f{i}", "content": ""} for i in range(201)], "at most 200 files"),
    ],
)
async def test_files_that_break_the_project_rules_are_refused_naming_the_file(
    service_factory: ServiceFactory,
    github: FakeGitHub,
    publishing: dict[str, Any],
    files: list[dict[str, str]],
    detail: str,
) -> None:
    service = await service_factory(**publishing)

    response = await post(service, {"repository": "acme/app", "files": files})

    assert response.status_code == 422
    assert detail in response.json()["detail"]
    assert github.calls == []


async def test_a_project_larger_than_the_usual_body_cap_can_be_published(
    service_factory: ServiceFactory, github: FakeGitHub, publishing: dict[str, Any]
) -> None:
    service = await service_factory(**publishing)
    files = [{"path": f"src/module{i}.py", "content": "x = 1\n" * 20_000} for i in range(8)]  # about 1 MB

    response = await post(service, {"repository": "acme/big", "files": files})

    assert response.status_code == 200, response.text
    repo = github.state.repository("acme", "big")
    assert repo is not None
    assert len(repo.files_at("main")) == 8


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"repository": "acme", "files": FILES}, "body.repository"),
        ({"repository": "acme/..", "files": FILES}, "body.repository"),
        ({"repository": "acme/.", "files": FILES}, "body.repository"),
        ({"repository": "acme/app", "files": []}, "body.files"),
        ({"repository": "acme/app", "files": FILES, "branch": "a..b"}, "body.branch"),
        ({"repository": "acme/app", "files": FILES, "branch": "feature/.hidden"}, "body.branch"),
    ],
)
async def test_invalid_requests_are_422_naming_the_field(
    service_factory: ServiceFactory, github: FakeGitHub, publishing: dict[str, Any], body: dict[str, Any], where: str
) -> None:
    service = await service_factory(**publishing)

    response = await post(service, body)

    assert response.status_code == 422
    assert where in response.json()["detail"]


async def test_an_existing_empty_repository_is_a_conflict_that_says_what_to_do(
    service_factory: ServiceFactory, github: FakeGitHub, publishing: dict[str, Any]
) -> None:
    github.state.create("acme", "void", private=True, description=None, auto_init=False)
    service = await service_factory(**publishing)

    response = await post(service, {"repository": "acme/void", "files": FILES})

    assert response.status_code == 409
    assert "exists but is empty" in response.json()["detail"]


async def test_an_owner_github_does_not_know_is_not_found(
    service_factory: ServiceFactory, github: FakeGitHub, publishing: dict[str, Any]
) -> None:
    service = await service_factory(**{**publishing, "publish_owners": ["ghost"]})

    response = await post(service, {"repository": "ghost/app", "files": FILES})

    assert response.status_code == 404
    assert "find the GitHub account 'ghost'" in response.json()["detail"]


async def test_github_unreachable_is_a_502(service_factory: ServiceFactory, publishing: dict[str, Any]) -> None:
    service = await service_factory(**{**publishing, "github_api_url": closed_port_url()})

    response = await post(service, {"repository": "acme/app", "files": FILES})

    assert response.status_code == 502
    assert response.json()["detail"] == "GitHub is unreachable or broke off its answer"


async def test_publishes_are_counted_by_outcome(
    service_factory: ServiceFactory, github: FakeGitHub, publishing: dict[str, Any]
) -> None:
    github.state.existing("acme", "shop", {"README.md": "x\n"})
    service = await service_factory(**publishing)

    await post(service, {"repository": "acme/new", "files": FILES})
    await post(service, {"repository": "acme/shop", "files": FILES})
    await post(service, {"repository": "acme/shop", "files": FILES, "branch": "x"})
    await post(service, {"repository": "acme/shop", "files": FILES, "branch": "x"})

    samples = scrape((await service.client.get("/metrics")).text)
    counts = {labels["outcome"]: count for labels, count in samples["generator_publishes_total"]}
    assert counts == {
        "created": 1,
        "pull_request": 2,
        "conflict": 1,
        "forbidden": 0,
        "not_found": 0,
        "rate_limited": 0,
        "failed": 0,
    }
