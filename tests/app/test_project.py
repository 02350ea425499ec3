"""The project rules as pure functions: which model paths are unsafe, how answers are parsed, which
scaffolding a language gets, and that a zip is deterministic.
"""

import io
import zipfile

import pytest

from app.paths import unsafe_path_reason
from app.project import MAX_FILE_BYTES, MAX_FILES, UnusableAnswer, parse_answer, zip_project
from app.scaffold import detect_language, scaffold
from app.settings import Settings
from tests.app.fakes import project_answer
from tests.app.test_model_output import UNSAFE_PATHS


@pytest.mark.parametrize("path", UNSAFE_PATHS)
def test_unsafe_paths_are_rejected(path: str) -> None:
    assert unsafe_path_reason(path) is not None


@pytest.mark.parametrize(
    "path", ["main.py", "src/app/main.py", ".github/workflows/ci.yml", ".gitignore", "a..b/c.py", "dir.git/x"]
)
def test_ordinary_relative_paths_are_accepted(path: str) -> None:
    assert unsafe_path_reason(path) is None


def test_non_string_path_is_rejected() -> None:
    assert unsafe_path_reason(["main.py"]) == "path is missing or not a string"


def test_file_count_and_size_limits_drop_files_with_warnings() -> None:
    files = [{"path": "big.py", "content": "x" * (MAX_FILE_BYTES + 1)}]
    files += [{"path": f"f{i}.py", "content": "x"} for i in range(MAX_FILES + 3)]

    parsed = parse_answer(project_answer(files))

    assert len(parsed.files) == MAX_FILES
    assert len(parsed.warnings) == 4
    assert "larger than" in parsed.warnings[0]
    assert parsed.warnings[-1] == f"file #{MAX_FILES + 4} dropped: more than {MAX_FILES} files"


def test_duplicate_paths_keep_the_first() -> None:
    parsed = parse_answer(project_answer([{"path": "a.py", "content": "1"}, {"path": "./A.py", "content": "2"}]))

    assert [(f.path, f.content) for f in parsed.files] == [("a.py", "1")]
    assert parsed.warnings == ["file #2 dropped: duplicate path"]


def test_answer_without_json_is_unusable() -> None:
    with pytest.raises(UnusableAnswer):
        parse_answer("Sorry, no.")


@pytest.mark.parametrize(
    ("paths", "language"),
    [
        ({"main.py"}, "python"),
        ({"pyproject.toml", "src/x.js"}, "python"),
        ({"index.js", "package.json"}, "node"),
        ({"src/server.ts"}, "node"),
        ({"main.go"}, "unknown"),
    ],
)
def test_language_detection(paths: set[str], language: str) -> None:
    assert detect_language(paths) == language


def test_unknown_language_gets_a_readme_and_the_generic_ci() -> None:
    files, language, added = scaffold(
        parse_answer(project_answer([{"path": "main.go", "content": ""}])).files, "", settings=Settings()
    )

    assert language == "unknown"
    assert added == ["README.md", ".github/workflows/ci.yml"]
    assert [f.path for f in files] == ["main.go", "README.md", ".github/workflows/ci.yml"]


def test_python_dockerfile_installs_requirements_and_runs_the_entry_point() -> None:
    parsed = parse_answer(
        project_answer([{"path": "app.py", "content": ""}, {"path": "requirements.txt", "content": "flask\n"}])
    )

    files, _, _ = scaffold(parsed.files, "", settings=Settings())

    dockerfile = next(f.content for f in files if f.path == "Dockerfile")
    assert "pip install --no-cache-dir -r requirements.txt" in dockerfile
    assert 'CMD ["python", "app.py"]' in dockerfile
    assert "USER 10001" in dockerfile


def test_zip_is_deterministic_and_complete() -> None:
    pairs = [("a.py", "print(1)\n"), ("dir/b.txt", "é")]

    first, second = zip_project(pairs), zip_project(pairs)

    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert archive.read("dir/b.txt").decode() == "é"
        assert archive.namelist() == ["a.py", "dir/b.txt"]
