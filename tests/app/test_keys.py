"""The cloud API key file never breaks the service: whatever sits at CLOUD_LLM_API_KEY_FILE (non-UTF-8 bytes,
a FIFO, a directory, several lines, nothing), the service starts, local mode works, and cloud mode answers 503
with a clear reason until a usable key appears there, which the next cloud request then uses.
"""

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.app.conftest import ServiceFactory
from tests.app.fakes import FakeOllama, FakeOpenAI


def non_utf8(path: Path) -> None:
    path.write_bytes(b"sk-\xff\xfe-latin1-\xe9")


def fifo(path: Path) -> None:
    os.mkfifo(path)


def directory(path: Path) -> None:
    path.mkdir()


def multi_line(path: Path) -> None:
    path.write_text("sk-first-line\nsk-second-line\n")


def blank(path: Path) -> None:
    path.write_text("\n  \n")


def huge(path: Path) -> None:
    path.write_text("sk-" + "x" * 100_000)


def absent(path: Path) -> None:
    pass


def unreadable(path: Path) -> None:
    # A regular file whose read fails (EIO), as on a failing disk or a broken mount.
    path.symlink_to("/proc/self/mem")


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (non_utf8, "not UTF-8"),
        (fifo, "not a regular file"),
        (directory, "not a regular file"),
        (multi_line, "more than one line"),
        (blank, "empty"),
        (huge, "larger than"),
        (absent, "does not exist"),
        (unreadable, "cannot be read"),
    ],
    ids=["non-utf8", "fifo", "directory", "multi-line", "blank", "huge", "absent", "unreadable"],
)
async def test_bad_key_file_leaves_local_mode_working_and_cloud_mode_503_until_a_key_appears(
    service_factory: ServiceFactory,
    cloud: FakeOpenAI,
    ollama: FakeOllama,
    tmp_path: Path,
    make: Callable[[Path], None],
    reason: str,
) -> None:
    key_file = tmp_path / "cloud-llm-api-key"
    make(key_file)

    service = await asyncio.wait_for(service_factory(cloud_llm_api_key=None, cloud_llm_api_key_file=key_file), 10)
    local = await service.client.post("/generate", json={"prompt": "x"})
    refused = await service.client.post("/generate", json={"prompt": "x"}, headers={"x-llm-mode": "cloud"})
    streamed = await service.client.post(
        "/generate", json={"prompt": "x"}, headers={"x-llm-mode": "cloud", "accept": "application/x-ndjson"}
    )

    assert local.status_code == 200
    assert refused.status_code == 503
    assert "CLOUD_LLM_API_KEY_FILE" in refused.json()["detail"]
    assert reason in refused.json()["detail"]
    assert streamed.status_code == 503
    assert cloud.requests == []

    if key_file.is_dir():
        key_file.rmdir()
    else:
        key_file.unlink(missing_ok=True)
    key_file.write_text(cloud.api_key + "\n")
    later = await service.client.post("/generate", json={"prompt": "x"}, headers={"x-llm-mode": "cloud"})

    assert later.status_code == 200
    assert cloud.headers[-1]["Authorization"] == f"Bearer {cloud.api_key}"


async def test_rotated_key_file_is_used_by_the_next_request(
    service_factory: ServiceFactory, cloud: FakeOpenAI, tmp_path: Path
) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("sk-old-key")
    service = await service_factory(cloud_llm_api_key=None, cloud_llm_api_key_file=key_file)
    rejected = await service.client.post("/generate", json={"prompt": "x"}, headers={"x-llm-mode": "cloud"})

    # A secret store swaps the mounted file for a new one.
    rotated = tmp_path / "key.new"
    rotated.write_text(cloud.api_key)
    rotated.replace(key_file)
    accepted = await service.client.post("/generate", json={"prompt": "x"}, headers={"x-llm-mode": "cloud"})

    assert rejected.status_code == 502
    assert accepted.status_code == 200


async def test_key_file_swapped_for_one_that_cannot_be_read_is_503_not_the_old_key(
    service_factory: ServiceFactory, cloud: FakeOpenAI, tmp_path: Path
) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(cloud.api_key)
    service = await service_factory(cloud_llm_api_key=None, cloud_llm_api_key_file=key_file)
    before = await service.client.post("/generate", json={"prompt": "x"}, headers={"x-llm-mode": "cloud"})

    key_file.unlink()
    unreadable(key_file)
    after = [
        await service.client.post("/generate", json={"prompt": "x"}, headers={"x-llm-mode": "cloud"}) for _ in range(2)
    ]

    assert before.status_code == 200
    assert [response.status_code for response in after] == [503, 503]
    assert "cannot be read" in after[-1].json()["detail"]
    assert len(cloud.requests) == 1


async def test_multi_line_key_in_the_environment_is_503_not_500(
    service_factory: ServiceFactory, cloud: FakeOpenAI
) -> None:
    service = await service_factory(cloud_llm_api_key="sk-one\nInjected: header")

    response = await service.client.post("/generate", json={"prompt": "x"}, headers={"x-llm-mode": "cloud"})

    assert response.status_code == 503
    assert "CLOUD_LLM_API_KEY" in response.json()["detail"]
    assert "Injected" not in response.text
    assert cloud.requests == []
