"""The project a client gets unpacks everywhere and keeps its guarantees, whatever the model wrote.

Guards: names that are one file on macOS or Windows (case, Unicode normalization, a file and a folder of the
same name) keep one of them and every really distinct file; the archive extracts with Python's zipfile and
with `unzip` into regular rw-r--r-- files; every part of the answer (the summary and the warnings included)
counts against the documented caps; the scaffolded, least-privilege CI workflow and deployment manifests are always
the ones there; and a model-chosen entry point cannot inject arguments into the Dockerfile's CMD.
"""

import json
import shutil
import stat
import subprocess
import unicodedata
import zipfile
from pathlib import Path

import pytest

from app.paths import DEPLOY_MANIFESTS, unsafe_path_reason
from app.project import MAX_FILE_BYTES, MAX_TOTAL_BYTES, ProjectFile, parse_answer
from app.scaffold import scaffold
from app.settings import Settings
from tests.app.conftest import RunningService
from tests.app.fakes import FakeOllama, project_answer

TWINS = [
    ("src", "src/main.py"),
    ("README.md/x.txt", None),  # against the scaffold's README.md
    ("Makefile", "makefile"),
    (unicodedata.normalize("NFC", "café.py"), unicodedata.normalize("NFD", "café.py")),
    ("straße.py", "strasse.py"),  # one name on APFS, which folds case fully
    ("Docs/a.md", "docs/A.md"),
]
# Docs/ and docs/ are one folder on macOS: its files are still distinct.
DISTINCT = ["app.py", "docs/b.md/c.md", "docs2/a.md", "Ünïcödé/ok.py", "\U0001f600" * 60 + ".py"]


def model_files() -> list[dict[str, str]]:
    files = []
    for first, second in TWINS:
        files.append({"path": first, "content": first})
        if second is not None:
            files.append({"path": second, "content": second})
    files += [{"path": path, "content": path} for path in DISTINCT]
    return files


def folded(name: str) -> str:
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", name).casefold())


def assert_extracts_on_a_case_insensitive_file_system(names: list[str]) -> None:
    """What APFS would do with the entries: two folded names equal, or a file where a folder is, fail."""
    files = {folded(name) for name in names}
    assert len(files) == len(names)
    folders = {"/".join(folded(name).split("/")[:end]) for name in names for end in range(1, name.count("/") + 1)}
    assert not files & folders
    for name in names:
        assert all(len(part.encode()) <= 255 for part in unicodedata.normalize("NFD", name).split("/"))


async def test_twins_keep_one_each_and_every_distinct_file_extracts_everywhere(
    service: RunningService, ollama: FakeOllama, tmp_path: Path
) -> None:
    ollama.answer_with(project_answer(model_files()))

    response = await service.client.post("/generate", json={"prompt": "x"}, headers={"accept": "application/zip"})

    assert response.status_code == 200
    archive_path = tmp_path / "project.zip"
    archive_path.write_bytes(response.content)
    with zipfile.ZipFile(archive_path) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "zipfile")
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
    assert_extracts_on_a_case_insensitive_file_system(names)
    for first, second in TWINS:
        kept = [name for name in (first, second) if name is not None and name in names]
        assert len(kept) == 1 or (second is None and kept == [first]), (first, second, names)
    assert set(DISTINCT) <= set(names)
    assert "README.md" not in names  # the model's README.md/ folder came first
    assert all(stat.S_ISREG(mode) and stat.S_IMODE(mode) == 0o644 for mode in modes.values()), modes
    unzip = shutil.which("unzip")
    assert unzip is not None, "unzip missing: .ci/run installs it"
    result = subprocess.run(
        [unzip, "-q", str(archive_path), "-d", str(tmp_path / "unzip")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for name in names:
        extracted = tmp_path / "unzip" / name
        assert extracted.is_file(), name
        assert stat.S_IMODE(extracted.stat().st_mode) == 0o644
        assert extracted.read_bytes() == (tmp_path / "zipfile" / name).read_bytes()


async def test_summary_and_warnings_count_against_the_caps(service: RunningService, ollama: FakeOllama) -> None:
    files = [{"path": f"f{i}.py", "content": "x" * (MAX_FILE_BYTES - 10)} for i in range(16)]
    files += [{"path": f"tiny{i}.py", "content": ""} for i in range(5000)]
    ollama.answer_with(json.dumps({"files": files, "summary": "s" * (3 * 1024 * 1024)}))

    response = await service.client.post("/generate", json={"prompt": "x"})

    assert response.status_code == 200
    body = response.json()
    content_bytes = sum(len(item["content"].encode()) for item in body["files"])
    assert content_bytes + len(body["summary"].encode()) <= MAX_TOTAL_BYTES
    assert len(response.content) < 2 * MAX_TOTAL_BYTES
    assert len(body["warnings"]) <= 25
    assert any("summary" in warning for warning in body["warnings"])
    assert body["warnings"][-1].endswith("more files dropped")


async def test_a_file_of_exactly_the_maximum_size_is_kept_one_byte_more_is_dropped(
    service: RunningService, ollama: FakeOllama
) -> None:
    files = [
        {"path": "exact.py", "content": "é" * (MAX_FILE_BYTES // 2)},
        {"path": "over.py", "content": "x" * (MAX_FILE_BYTES + 1)},
    ]
    ollama.answer_with(project_answer(files))

    body = (await service.client.post("/generate", json={"prompt": "x"})).json()

    paths = [item["path"] for item in body["files"]]
    assert "exact.py" in paths
    assert "over.py" not in paths
    assert body["warnings"] == [f"file #2 dropped: larger than {MAX_FILE_BYTES} bytes"]


@pytest.mark.parametrize(
    "path",
    [
        ".github/workflows/ci.yml",
        ".github/workflows/release.yml",
        ".GitHub/Workflows/ci.yml",
        ".github/workflows",
        "deploy/deployment.yaml",
        "deploy/job.yaml",
        "Deploy/Service.yaml",
        "deploy",
    ],
)
async def test_the_scaffolded_ci_workflow_and_manifests_are_always_the_ones_there(
    service: RunningService, ollama: FakeOllama, path: str
) -> None:
    hostile = (
        "on: pull_request_target\njobs:\n  x:\n    permissions: write-all\nkind: Pod\nspec:\n  hostNetwork: true\n"
    )
    ollama.answer_with(project_answer([{"path": "main.py", "content": ""}, {"path": path, "content": hostile}]))

    body = (await service.client.post("/generate", json={"prompt": "x"})).json()

    files = {item["path"]: item["content"] for item in body["files"]}
    # What the service scaffolds for the model's other file alone, with the platform's settings the service runs with.
    promised, _, _ = scaffold([ProjectFile("main.py", "")], "A tiny service.", settings=Settings())
    for owned in (".github/workflows/ci.yml", *DEPLOY_MANIFESTS):
        assert files[owned] == next(item.content for item in promised if item.path == owned), owned
        assert owned in body["scaffolded"]
    assert all(content != hostile for content in files.values())
    assert body["warnings"][0].startswith("file #2 dropped: ")


async def test_a_model_chosen_entry_point_cannot_add_arguments_to_the_dockerfile_cmd(
    service: RunningService, ollama: FakeOllama
) -> None:
    entry = 'x", "-c", "import os; os.system(\'id\')", "y.py'
    ollama.answer_with(project_answer([{"path": entry, "content": ""}, {"path": "requirements.txt", "content": ""}]))

    body = (await service.client.post("/generate", json={"prompt": "x"})).json()

    files = {item["path"]: item["content"] for item in body["files"]}
    cmd_line = next(line for line in files["Dockerfile"].splitlines() if line.startswith("CMD "))
    command = json.loads(cmd_line.removeprefix("CMD "))
    assert command[0] == "python"
    assert len(command) == 2 or command[1] == "-c"
    assert "os.system" not in cmd_line


@pytest.mark.parametrize(("path", "reason"), [("a:b", "Windows"), ("C:/evil.py", "Windows"), ("/etc/x", "absolute")])
async def test_colon_is_refused_as_windows_unsafe_not_as_absolute(
    service: RunningService, ollama: FakeOllama, path: str, reason: str
) -> None:
    ollama.answer_with(project_answer([{"path": path, "content": "x"}, {"path": "main.py", "content": ""}]))

    body = (await service.client.post("/generate", json={"prompt": "x"})).json()

    assert reason in body["warnings"][0]
    assert path not in [item["path"] for item in body["files"]]


def test_a_component_over_255_bytes_is_refused_though_the_path_is_under_240_characters() -> None:
    name = "\U0001f600" * 64 + ".py"  # 67 characters, 259 bytes

    assert unsafe_path_reason(name) is not None
    assert unsafe_path_reason("\U0001f600" * 63 + ".py") is None


def test_parse_answer_keeps_the_ci_path_for_the_scaffold() -> None:
    parsed = parse_answer(project_answer([{"path": "a.py", "content": ""}, {"path": ".github", "content": "x"}]))

    assert [item.path for item in parsed.files] == ["a.py"]
