"""`POST /publish` against a fake GitHub over real HTTP (tests/app/fake_github.py): a new repository gets one commit
holding every file on its default branch, an existing one a branch and a pull request, and every way GitHub says
no becomes a clear answer. The promise that matters most: no ref ever points at a half-pushed project.
"""

import asyncio
from typing import Any

import httpx
import pytest

from tests.app.conftest import ServiceFactory
from tests.app.fake_github import FakeGitHub

FILES = [
    {"path": "app/main.py", "content": "print('hello')\n"},
    {"path": "README.md", "content": "# Todo\n"},
    {"path": ".github/workflows/ci.yml", "content": "on: push\n"},
    {"path": "empty.txt", "content": ""},
    {"path": "src/naïve.py", "content": "café = 1\n"},
]


def contents(files: list[dict[str, str]]) -> dict[str, bytes]:
    return {item["path"]: item["content"].encode() for item in files}


async def publish(service: Any, repository: str, **extra: Any) -> httpx.Response:
    body = {"repository": repository, "files": FILES, **extra}
    response: httpx.Response = await service.client.post("/publish", json=body)
    return response


def ref_calls(github: FakeGitHub) -> list[tuple[str, str]]:
    return [(method, path) for method, path in github.calls if "/git/refs" in path]


async def test_a_new_repository_gets_one_commit_with_every_file_on_its_default_branch(
    service_factory: ServiceFactory, github: FakeGitHub, publishing: dict[str, Any]
) -> None:
    service = await service_factory(**publishing)

    response = await publish(service, "acme/todo-api", private=True, message="First version")

    assert response.status_code == 200, response.text
    answer = response.json()
    repo = github.state.repository("acme", "todo-api")
    assert repo is not None
    assert repo.private
    assert ("POST", "/orgs/acme/repos") in github.calls
    assert answer == {
        "repository": "acme/todo-api",
        "url": "https://github.com/acme/todo-api",
        "commit": repo.refs["main"],
        "branch": "main",
        "pull_request": None,
        "created": True,
    }
    assert repo.files_at("main") == contents(FILES)  # exactly the project: GitHub's initial README is gone
    commit = repo.commits[repo.refs["main"]]
    assert commit.message == "First version"
    assert len(commit.parents) == 1
    assert repo.commits[commit.parents[0]].parents == []


async def test_a_new_repository_that_github_still_reports_empty_for_a_moment_is_waited_for(
    service_factory: ServiceFactory, github: FakeGitHub, publishing: dict[str, Any]
) -> None:
    github.lagging_reads = 2
    service = await service_factory(**publishing)

    response = await publish(service, "acme/lagging")

    assert response.status_code == 200, response.text
    repo = github.state.repository("acme", "lagging")
    assert repo is not None
    assert repo.files_at("main") == contents(FILES)


async def test_a_new_repository_of_the_tokens_own_user_is_created_under_the_user(
    service_factory: ServiceFactory, github: FakeGitHub, publishing: dict[str, Any]
) -> None:
    service = await service_factory(**publishing)

    response = await publish(service, "octo/notes", private=False)

    assert response.status_code == 200, response.text
    assert ("POST", "/user/repos") in github.calls
    repo = github.state.repository("octo", "notes")
    assert repo is not None
    assert not repo.private
    assert repo.files_at("main") == contents(FILES)


async def test_another_users_repository_cannot_be_created_with_the_token(
    service_factory: ServiceFactory, github: FakeGitHub, publishing: dict[str, Any]
) -> None:
    github.state.accounts["mona"] = "User"
    service = await service_factory(**{**publishing, "publish_owners": ["mona"]})

    response = await publish(service, "mona/app")

    assert response.status_code == 403
    assert "the token belongs to 'octo'" in response.json()["detail"]
    assert github.state.repository("mona", "app") is None


async def test_an_existing_repository_gets_a_branch_and_a_pull_request_and_keeps_its_default_branch(
    service_factory: ServiceFactory, github: FakeGitHub, publishing: dict[str, Any]
) -> None:
    repo = github.state.existing("acme", "shop", {"LICENSE": "MIT\n", "README.md": "old\n"})
    main_before = repo.refs["main"]
    service = await service_factory(**publishing)

    response = await publish(service, "acme/shop")

    assert response.status_code == 200, response.text
    answer = response.json()
    branch = answer["branch"]
    assert branch == f"prompt2prod/{answer['commit'][:12]}"
    assert answer["pull_request"] == "https://github.com/acme/shop/pull/1"
    assert answer["created"] is False
    assert repo.refs["main"] == main_before
    assert repo.refs[branch] == answer["commit"]
    assert repo.commits[answer["commit"]].parents == [main_before]
    # Built on the default branch: files the project does not name are kept, the others replaced.
    assert repo.files_at(branch) == {"LICENSE": b"MIT\n", **contents(FILES)}
    assert repo.pulls[0]["head"] == branch
    assert repo.pulls[0]["base"] == "main"


async def test_the_pull_requests_title_is_the_messages_first_line_that_says_something(
    service_factory: ServiceFactory, github: FakeGitHub, publishing: dict[str, Any]
) -> None:
    repo = github.state.existing("acme", "shop", {"README.md": "old\n"})
    service = await service_factory(**publishing)

    response = await publish(service, "acme/shop", message="\n   \n  Add the shop\n\nWith a body.")

    assert response.status_code == 200, response.text
    assert repo.pulls[0]["title"] == "Add the shop"


async def test_a_protected_default_branch_is_never_pushed_to(
    service_factory: ServiceFactory, github: FakeGitHub, publishing: dict[str, Any]
) -> None:
    repo = github.state.existing("acme", "bank", {"README.md": "x\n"}, protected=True)
    main_before = repo.refs["main"]
    service = await service_factory(**publishing)

    response = await publish(service, "acme/bank")

    assert response.status_code == 200, response.text
    assert response.json()["pull_request"] == "https://github.com/acme/bank/pull/1"
    assert repo.refs["main"] == main_before
    assert not any(method == "PATCH" for method, _ in github.calls)


async def test_a_new_repository_whose_default_branch_a_ruleset_protects_gets_a_pull_request(
    service_factory: ServiceFactory, github: FakeGitHub, publishing: dict[str, Any]
) -> None:
    github.state.ruled_owners.add("acme")
    service = await service_factory(**publishing)

    response = await publish(service, "acme/ruled")

    assert response.status_code == 200, response.text
    answer = response.json()
    repo = github.state.repository("acme", "ruled")
    assert repo is not None
    assert answer["created"] is True
    assert answer["pull_request"] == "https://github.com/acme/ruled/pull/1"
    assert repo.files_at(answer["branch"]) == contents(FILES)
    assert repo.files_at("main") == {"README.md": b"# ruled\n"}


async def test_a_token_without_rights_is_refused_and_nothing_changes(
    service_factory: ServiceFactory, github: FakeGitHub, publishing: dict[str, Any]
) -> None:
    repo = github.state.existing("acme", "shop", {"README.md": "x\n"})
    refs_before = dict(repo.refs)
    github.writable = False
    service = await service_factory(**publishing)

    existing = await publish(service, "acme/shop")
    new = await publish(service, "acme/fresh")

    assert existing.status_code == new.status_code == 403
    assert "the token lacks the rights to create blobs in acme/shop" in existing.json()["detail"]
    assert "Resource not accessible by personal access token" in existing.json()["detail"]
    assert "create the repository acme/fresh" in new.json()["detail"]
    assert repo.refs == refs_before
    assert github.state.repository("acme", "fresh") is None


async def test_a_token_github_does_not_accept_is_refused(
    service_factory: ServiceFactory, github: FakeGitHub, publishing: dict[str, Any]
) -> None:
    service = await service_factory(**{**publishing, "github_token": "github_pat_expired"})

    response = await publish(service, "acme/app")

    assert response.status_code == 403
    assert "GitHub refused the token (401)" in response.json()["detail"]


async def test_a_secondary_rate_limit_is_answered_429_with_githubs_retry_after(
    service_factory: ServiceFactory, github: FakeGitHub, publishing: dict[str, Any]
) -> None:
    github.rate_limited = "secondary"
    service = await service_factory(**publishing)

    response = await publish(service, "acme/app")

    assert response.status_code == 429
    assert response.headers["retry-after"] == "30"
    assert "rate limit" in response.json()["detail"]


async def test_the_primary_rate_limit_is_answered_429_until_githubs_reset(
    service_factory: ServiceFactory, github: FakeGitHub, publishing: dict[str, Any]
) -> None:
    github.rate_limited = "primary"  # the fake resets in 120 s
    service = await service_factory(**publishing)

    response = await publish(service, "acme/app")

    assert response.status_code == 429
    assert 110 <= int(response.headers["retry-after"]) <= 121


@pytest.mark.parametrize(
    ("kind", "nth", "how"), [("blob", 3, "drop"), ("tree", 1, "500"), ("commit", 1, "drop"), ("blob", 1, "garbage")]
)
async def test_an_interrupted_push_to_a_new_repository_moves_no_ref_and_a_retry_finishes_it(
    service_factory: ServiceFactory, github: FakeGitHub, publishing: dict[str, Any], kind: str, nth: int, how: str
) -> None:
    github.break_on = (kind, nth, how)
    service = await service_factory(**publishing)

    broken = await publish(service, "acme/app")

    assert broken.status_code == 502, broken.text
    repo = github.state.repository("acme", "app")
    assert repo is not None
    assert repo.files_at("main") == {"README.md": b"# app\n"}  # still GitHub's initial commit
    assert ref_calls(github) == []

    retried = await publish(service, "acme/app")

    assert retried.status_code == 200, retried.text
    assert retried.json()["branch"] == "main"
    assert retried.json()["pull_request"] is None
    assert repo.files_at("main") == contents(FILES)


async def test_an_interrupted_push_to_an_existing_repository_creates_no_branch_and_a_retry_opens_the_pull_request(
    service_factory: ServiceFactory, github: FakeGitHub, publishing: dict[str, Any]
) -> None:
    repo = github.state.existing("acme", "shop", {"README.md": "x\n"})
    github.break_on = ("blob", 2, "drop")
    service = await service_factory(**publishing)

    broken = await publish(service, "acme/shop")

    assert broken.status_code == 502
    assert "GitHub is unreachable or broke off its answer" in broken.json()["detail"]
    assert list(repo.refs) == ["main"]
    assert repo.pulls == []

    retried = await publish(service, "acme/shop")

    assert retried.status_code == 200, retried.text
    assert repo.files_at(retried.json()["branch"])["app/main.py"] == b"print('hello')\n"
    assert len(repo.pulls) == 1


async def test_a_publish_stays_within_the_request_deadline(
    service_factory: ServiceFactory, github: FakeGitHub, publishing: dict[str, Any]
) -> None:
    github.delay = 0.3  # a dozen calls: well past the deadline
    service = await service_factory(**publishing, request_timeout_seconds=1.5)

    response = await publish(service, "acme/slow")

    assert response.status_code == 504
    assert "REQUEST_TIMEOUT_SECONDS" in response.json()["detail"]
    repo = github.state.repository("acme", "slow")
    assert repo is None or repo.files_at("main") == {"README.md": b"# slow\n"}


async def test_a_client_that_leaves_mid_push_stops_it_before_any_ref_moves(
    service_factory: ServiceFactory, github: FakeGitHub, publishing: dict[str, Any]
) -> None:
    repo = github.state.existing("acme", "shop", {"README.md": "x\n"})
    github.delay = 0.2
    service = await service_factory(**publishing)

    with pytest.raises(httpx.ReadTimeout):
        await service.client.post("/publish", json={"repository": "acme/shop", "files": FILES}, timeout=0.7)
    calls = len(github.calls)
    await asyncio.sleep(1.5)

    assert len(github.calls) == calls  # nothing more was sent once the client had gone
    assert ref_calls(github) == []
    assert list(repo.refs) == ["main"]
