"""The generated project: parse the model's answer, keep only safe files, and pack the result.

A model's answer is untrusted input. Paths that could escape the project directory, touch git internals or
not unpack everywhere are dropped (and never echoed back; `app.paths` holds the rules); sizes and counts are
capped, the summary included, so that the whole project stays within MAX_TOTAL_BYTES; content must be UTF-8.
"""

import io
import json
import re
import stat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from app.jsonlimits import too_wide
from app.paths import CI_WORKFLOW, DEPLOY_MANIFESTS, RESERVED_FOLDERS, PathSet, normalize_path, unsafe_path_reason

MAX_FILES: Final = 200
MAX_FILE_BYTES: Final = 256 * 1024
MAX_TOTAL_BYTES: Final = 4 * 1024 * 1024
MAX_SUMMARY_CHARS: Final = 4000
#: Room kept for the scaffolding (Dockerfile, CI, README without the summary, tests), all well under it.
SCAFFOLD_RESERVE_BYTES: Final = 16 * 1024
#: Past this many, dropped files are reported as one count, so that the warnings stay small.
MAX_WARNINGS: Final = 20

_FENCE_OPEN = re.compile(r"```[A-Za-z0-9_-]*[ \t]*\r?\n")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Fixed timestamp: the same project always zips to the same bytes.
_ZIP_DATE: Final = (2024, 1, 1, 0, 0, 0)
# A regular file, rw-r--r--, as `unzip` and Python's zipfile read the Unix mode (create_system 3).
_ZIP_FILE_MODE: Final = (stat.S_IFREG | 0o644) << 16


@dataclass(frozen=True, slots=True)
class ProjectFile:
    path: str
    content: str


def project_paths() -> PathSet:
    """The paths of a new project: the scaffolded CI workflow's and deployment manifests', and nothing else in their
    folders (claimed whatever the language, so that no model file takes a name they need)."""
    paths = PathSet(reserved_folders=RESERVED_FOLDERS)
    for path in (CI_WORKFLOW, *DEPLOY_MANIFESTS):
        paths.claim(path, reserved=True)
    return paths


@dataclass(slots=True)
class ParsedProject:
    files: list[ProjectFile]
    summary: str
    warnings: list[str] = field(default_factory=list)
    #: The files' paths, which the scaffolding must not clash with.
    paths: PathSet = field(default_factory=project_paths)


class UnusableAnswer(ValueError):
    """The model's answer holds no usable project."""


def _candidates(text: str) -> list[str]:
    stripped = text.strip().lstrip("\ufeff")
    found = [stripped]
    # First opening fence to last closing one: a search per fence pair would be quadratic on hostile output.
    opening = _FENCE_OPEN.search(stripped)
    if opening is not None and (closing := stripped.rfind("```")) > opening.end():
        found.append(stripped[opening.end() : closing].strip())
    start, end = stripped.find("{"), stripped.rfind("}")
    if 0 <= start < end:
        found.append(stripped[start : end + 1])
    return found


def _load_json(text: str) -> Any:
    if too_wide(text):
        raise UnusableAnswer("the model's answer holds more JSON objects and arrays than a project needs")
    for candidate in _candidates(text):
        try:
            return json.loads(candidate)
        except (ValueError, RecursionError):  # nested too deep is unusable too
            continue
    raise UnusableAnswer("the model's answer is not JSON")


def _unwrap(value: Any) -> tuple[Any, str]:
    """Find `files` in the usual shapes: the object itself, a one-key wrapper, or a bare list of files."""
    if isinstance(value, list):
        return value, ""
    if not isinstance(value, dict):
        raise UnusableAnswer("the model's answer is not a JSON object")
    if "files" not in value and len(value) == 1:
        inner = next(iter(value.values()))
        if isinstance(inner, dict) and "files" in inner:
            value = inner
    summary = value.get("summary")
    return value.get("files"), summary.strip() if isinstance(summary, str) else ""


def printable(text: str) -> str:
    """`text` with lone surrogates (valid in JSON escapes, not in UTF-8) replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


def _entries(files: Any) -> list[tuple[Any, Any]]:
    if isinstance(files, dict):  # {"path": "content", ...}
        return list(files.items())
    if isinstance(files, list):
        return [(item.get("path"), item.get("content")) if isinstance(item, dict) else (None, None) for item in files]
    raise UnusableAnswer("the model's answer has no list of files")


class _Warnings:
    def __init__(self) -> None:
        self.items: list[str] = []
        self._more = 0

    def drop(self, index: int, reason: str) -> None:
        # The path itself is not echoed: it is exactly what must not reach the response.
        if len(self.items) < MAX_WARNINGS:
            self.items.append(f"file #{index} dropped: {reason}")
        else:
            self._more += 1

    def done(self) -> list[str]:
        return [*self.items, f"{self._more} more files dropped"] if self._more else self.items


def _summary(raw: str, warnings: _Warnings) -> str:
    if len(raw) > MAX_SUMMARY_CHARS:
        warnings.items.append(f"summary cut to {MAX_SUMMARY_CHARS} characters")
        raw = raw[:MAX_SUMMARY_CHARS]
    return printable(raw)


def _file_reason(path: object, content: object) -> str | None:
    reason = unsafe_path_reason(path)
    if reason is None and not isinstance(content, str):
        return "content is not a string"
    return reason


def parse_answer(text: str) -> ParsedProject:
    """Turn a model's answer (plain, fenced or wrapped JSON) into validated files, dropping unsafe ones.

    CPU-bound on large answers: the caller runs it off the event loop when `text` is large.
    """
    files_value, raw_summary = _unwrap(_load_json(text))
    entries = _entries(files_value)
    warnings = _Warnings()
    summary = _summary(raw_summary, warnings)
    files: list[ProjectFile] = []
    taken = project_paths()
    # The summary is returned and also becomes the README: it counts twice against the total.
    budget = MAX_TOTAL_BYTES - SCAFFOLD_RESERVE_BYTES - 2 * len(summary.encode("utf-8"))
    total = 0
    for index, (path, content) in enumerate(entries, start=1):
        if len(files) >= MAX_FILES:  # checked first: the rest need no costlier look
            warnings.drop(index, f"more than {MAX_FILES} files")
            continue
        reason = _file_reason(path, content)
        if reason is not None:
            warnings.drop(index, reason)
            continue
        assert isinstance(path, str)  # noqa: S101 - narrowed by _file_reason
        assert isinstance(content, str)  # noqa: S101 - checked by _file_reason
        clean = normalize_path(path)
        try:
            size = len(content.encode("utf-8"))
        except UnicodeEncodeError:
            warnings.drop(index, "content is not valid UTF-8")
            continue
        if size > MAX_FILE_BYTES:
            warnings.drop(index, f"larger than {MAX_FILE_BYTES} bytes")
        elif total + size > budget:
            warnings.drop(index, f"project larger than {MAX_TOTAL_BYTES} bytes")
        elif (conflict := taken.claim(clean)) is not None:
            warnings.drop(index, conflict)
        else:
            total += size
            files.append(ProjectFile(clean, content))
    if not files:
        raise UnusableAnswer("the model's answer holds no usable file")
    return ParsedProject(files=files, summary=summary, warnings=warnings.done(), paths=taken)


def zip_project(files: Iterable[tuple[str, str]]) -> bytes:
    """The project (path, content pairs) as a deterministic zip archive of regular files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, content in files:
            info = zipfile.ZipInfo(path, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so that extractors honour the mode bits below
            info.external_attr = _ZIP_FILE_MODE
            archive.writestr(info, content.encode("utf-8"))
    return buffer.getvalue()
