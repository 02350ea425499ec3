"""`POST /generate` with `publish`: the generated project, scaffolding included, lands on GitHub after generation;
the JSON answer says where, the NDJSON stream says so in a `published` event before the result; a publish that
cannot happen (a caller not allowed, a zip archive) is refused before the model is asked anything.
"""

import json
from typing import Any

import pytest

from app.budget import CLIENT_HEADER
from tests.app.conftest import ServiceFactory
from tests.app.fake_github import FakeGitHub
from tests.app.fakes import FakeOllama

PUBLISH = {"repository": "acme/clock", "private": True}


async def test_a_generated_project_is_published_with_every_file_and_the_answer_says_where(
    service_factory: ServiceFactory, ollama: FakeOllama, github: FakeGitHub, publishing: dict[str, Any]
) -> None:
    service = await service_factory(**publishing)

    response = await service.client.post("/generate", json={"prompt": "a clock", "publish": PUBLISH})

    assert response.status_code == 200, response.text
    answer = response.json()
    repo = github.state.repository("acme", "clock")
    assert repo is not None
    assert answer["publish"]["commit"] == repo.refs["main"]
    assert answer["publish"]["url"] == "https://github.com/acme/clock"
    published = repo.files_at("main")
    assert published == {item["path"]: item["content"].encode() for item in answer["files"]}
    assert ".github/workflows/ci.yml" in published  # the scaffolding too
    assert repo.commits[repo.refs["main"]].message.endswith("A tiny service.")  # the summary


async def test_the_stream_says_published_before_its_result(
    service_factory: ServiceFactory, github: FakeGitHub, publishing: dict[str, Any]
) -> None:
    service = await service_factory(**publishing)

    response = await service.client.post(
        "/generate", json={"prompt": "a clock", "publish": PUBLISH}, headers={"accept": "application/x-ndjson"}
    )

    events = [json.loads(line) for line in response.text.splitlines()]
    assert [event["event"] for event in events][-2:] == ["published", "result"]
    published, result = events[-2], events[-1]
    assert published["commit"] == result["publish"]["commit"] == github.state.repositories["acme/clock"].refs["main"]
    assert published["pull_request"] is None
    assert published["branch"] == "main"


async def test_a_publish_that_fails_after_generation_ends_the_stream_with_its_error(
    service_factory: ServiceFactory, github: FakeGitHub, publishing: dict[str, Any]
) -> None:
    github.rate_limited = "secondary"
    service = await service_factory(**publishing)

    response = await service.client.post(
        "/generate", json={"prompt": "a clock", "publish": PUBLISH}, headers={"accept": "application/x-ndjson"}
    )

    last = json.loads(response.text.splitlines()[-1])
    assert last["event"] == "error"
    assert last["status"] == 429
    assert "retry in 30 s" in last["detail"]


async def test_a_failed_publish_answers_with_its_status_instead_of_the_project(
    service_factory: ServiceFactory, github: FakeGitHub, publishing: dict[str, Any]
) -> None:
    github.writable = False
    service = await service_factory(**publishing)

    response = await service.client.post("/generate", json={"prompt": "a clock", "publish": PUBLISH})

    assert response.status_code == 403
    assert "lacks the rights" in response.json()["detail"]


@pytest.mark.parametrize(
    ("headers", "status", "detail"),
    [
        ({"accept": "application/zip"}, 422, "publish cannot be combined with Accept: application/zip"),
        ({CLIENT_HEADER: "intruder"}, 403, "client 'intruder' may not publish"),
    ],
)
async def test_a_publish_that_cannot_happen_is_refused_before_any_generation(
    service_factory: ServiceFactory,
    ollama: FakeOllama,
    github: FakeGitHub,
    publishing: dict[str, Any],
    headers: dict[str, str],
    status: int,
    detail: str,
) -> None:
    service = await service_factory(**publishing)

    response = await service.client.post("/generate", json={"prompt": "a clock", "publish": PUBLISH}, headers=headers)

    assert response.status_code == status
    assert detail in response.json()["detail"]
    assert ollama.requests == []
    assert github.calls == []


async def test_without_publish_the_answer_says_nothing_was_published(
    service_factory: ServiceFactory, github: FakeGitHub, publishing: dict[str, Any]
) -> None:
    service = await service_factory(**publishing)

    response = await service.client.post("/generate", json={"prompt": "a clock"})

    assert response.json()["publish"] is None
    assert github.calls == []
