"""What the model answers is untrusted: fenced or wrapped JSON is still understood, unusable output is
retried once and then answered with 502, and an unsafe path from the model never reaches the response.
"""

import io
import json
import zipfile

import pytest

from app.paths import unsafe_path_reason
from tests.app.conftest import RunningService
from tests.app.fakes import FakeOllama, project_answer

GOOD = project_answer([{"path": "src/app.py", "content": "print('ok')\n"}], summary="fine")

UNSAFE_PATHS = [
    "/etc/passwd",
    "../escape.py",
    "src/../../escape.py",
    "..",
    "C:\\Windows\\evil.py",
    "C:/evil.py",
    "src\\evil.py",
    ".git/config",
    "sub/.git/hooks/pre-commit",
    "evil\x00.py",
    "line\nbreak.py",
    "~/.ssh/authorized_keys",
    "src/",
    "",
    # What a case-insensitive or Windows file system reads as `.git` (hooks, core.fsmonitor: code execution).
    ".GIT/config",
    ".Git/hooks/post-checkout",
    ".git./config",
    ".git /config",
    "GIT~1/config",
    ".g\u200cit/config",
    ".git\ufeff/hooks/pre-commit",
    ".git::$INDEX_ALLOCATION/config",
    "sub/.GiT/hooks/pre-commit",
    "\ud800.py",
    "nul.txt",
    "x" * 60 + "/" + "\U0001f600" * 70,
]


@pytest.mark.parametrize(
    "answer",
    [
        f"```json\n{GOOD}\n```",
        f"Here is your project:\n```\n{GOOD}\n```\nEnjoy!",
        f"Sure! {GOOD} Let me know.",
        json.dumps({"project": json.loads(GOOD)}),
        json.dumps({"files": {"src/app.py": "print('ok')\n"}, "summary": "fine"}),
    ],
    ids=["json-fence", "bare-fence-with-prose", "prose-around-json", "wrapped-object", "files-as-mapping"],
)
async def test_fenced_or_wrapped_output_is_parsed(service: RunningService, ollama: FakeOllama, answer: str) -> None:
    ollama.answer_with(answer)

    response = await service.client.post("/generate", json={"prompt": "x"})

    assert response.status_code == 200
    files = {item["path"]: item["content"] for item in response.json()["files"]}
    assert files["src/app.py"] == "print('ok')\n"
    assert response.json()["attempts"] == 1


async def test_unusable_output_is_retried_once(service: RunningService, ollama: FakeOllama) -> None:
    ollama.answer_with('{"files": "truncated', GOOD)

    response = await service.client.post("/generate", json={"prompt": "x"})

    assert response.status_code == 200
    assert response.json()["attempts"] == 2
    assert len(ollama.requests) == 2


@pytest.mark.parametrize(
    "answer",
    ["I cannot help with that.", '{"files": []}', '{"summary": "no files"}', "[1, 2, 3]", '{"files": [42]}'],
    ids=["prose", "no-files", "missing-files", "list-of-numbers", "file-not-object"],
)
async def test_unusable_output_twice_is_502(service: RunningService, ollama: FakeOllama, answer: str) -> None:
    ollama.answer_with(answer)

    response = await service.client.post("/generate", json={"prompt": "x"})

    assert response.status_code == 502
    assert "unusable" in response.json()["detail"]
    assert len(ollama.requests) == 2


@pytest.mark.parametrize("bad_path", UNSAFE_PATHS)
async def test_unsafe_path_from_model_never_reaches_the_response(
    service: RunningService, ollama: FakeOllama, bad_path: str
) -> None:
    ollama.answer_with(
        project_answer([{"path": bad_path, "content": "owned"}, {"path": "main.py", "content": "print(1)\n"}])
    )

    response = await service.client.post("/generate", json={"prompt": "x"})
    zipped = await service.client.post("/generate", json={"prompt": "x"}, headers={"accept": "application/zip"})

    assert response.status_code == 200
    body = response.json()
    paths = [item["path"] for item in body["files"]]
    assert all(item["content"] != "owned" for item in body["files"])
    assert bad_path not in paths
    assert all(unsafe_path_reason(path) is None for path in paths)
    assert len(body["warnings"]) == 1
    assert body["warnings"][0].startswith("file #1 dropped: ")
    with zipfile.ZipFile(io.BytesIO(zipped.content)) as archive:
        assert all(archive.read(name) != b"owned" for name in archive.namelist())
        assert "main.py" in archive.namelist()


async def test_only_unsafe_paths_is_unusable_output(service: RunningService, ollama: FakeOllama) -> None:
    ollama.answer_with(project_answer([{"path": "/etc/passwd", "content": "x"}]))

    response = await service.client.post("/generate", json={"prompt": "x"})

    assert response.status_code == 502
    assert "/etc/passwd" not in response.text


async def test_dot_segments_are_normalised(service: RunningService, ollama: FakeOllama) -> None:
    ollama.answer_with(project_answer([{"path": "./src//app.py", "content": "print(1)\n"}]))

    body = (await service.client.post("/generate", json={"prompt": "x"})).json()

    assert body["files"][0]["path"] == "src/app.py"


async def test_lone_surrogate_content_is_dropped_as_not_utf8(service: RunningService, ollama: FakeOllama) -> None:
    # json.loads turns the escape into a lone surrogate, which no UTF-8 file can hold.
    raw = '{"files": [{"path": "bad.py", "content": "\\ud800"}, {"path": "ok.py", "content": "1"}]}'
    ollama.answer_with(raw)

    body = (await service.client.post("/generate", json={"prompt": "x"})).json()

    assert next(item["path"] for item in body["files"]) == "ok.py"
    assert body["warnings"] == ["file #1 dropped: content is not valid UTF-8"]
