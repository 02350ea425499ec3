"""The generated project: parse the model's answer, keep only safe files, and pack the result.

A model's answer is untrusted input. Paths that could escape the project directory or touch git internals
are dropped (and never echoed back); sizes and counts are capped; content must be valid UTF-8.
"""

import io
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

MAX_FILES: Final = 200
MAX_FILE_BYTES: Final = 256 * 1024
MAX_TOTAL_BYTES: Final = 4 * 1024 * 1024
MAX_PATH_CHARS: Final = 240

_FENCE = re.compile(r"```[A-Za-z0-9_-]*[ \t]*\r?\n(.*?)```", re.DOTALL)
_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Fixed timestamp: the same project always zips to the same bytes.
_ZIP_DATE: Final = (2024, 1, 1, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class ProjectFile:
    path: str
    content: str


@dataclass(slots=True)
class ParsedProject:
    files: list[ProjectFile]
    summary: str
    warnings: list[str] = field(default_factory=list)


class UnusableAnswer(ValueError):
    """The model's answer holds no usable project."""


def _candidates(text: str) -> list[str]:
    stripped = text.strip().lstrip("\ufeff")
    found = [stripped]
    found.extend(match.group(1).strip() for match in _FENCE.finditer(stripped))
    start, end = stripped.find("{"), stripped.rfind("}")
    if 0 <= start < end:
        found.append(stripped[start : end + 1])
    return found


def _load_json(text: str) -> Any:
    for candidate in _candidates(text):
        try:
            return json.loads(candidate)
        except ValueError:
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


def _entries(files: Any) -> list[tuple[Any, Any]]:
    if isinstance(files, dict):  # {"path": "content", ...}
        return list(files.items())
    if isinstance(files, list):
        return [(item.get("path"), item.get("content")) if isinstance(item, dict) else (None, None) for item in files]
    raise UnusableAnswer("the model's answer has no list of files")


def unsafe_path_reason(path: object) -> str | None:
    """Why a path from the model is unsafe, or None when it is a safe relative POSIX file path."""
    if not isinstance(path, str) or not path:
        return "path is missing or not a string"
    if len(path) > MAX_PATH_CHARS:
        return "path is too long"
    if _CONTROL.search(path):
        return "path contains control characters"
    if "\\" in path:
        return "path contains a backslash"
    if path.startswith("/") or _DRIVE.match(path):
        return "path is absolute"
    if path.startswith("~"):
        return "path refers to a home directory"
    parts = path.split("/")
    if ".." in parts:
        return "path contains '..'"
    parts = [part for part in parts if part not in ("", ".")]
    if not parts or path.endswith("/"):
        return "path names a directory, not a file"
    if ".git" in parts:
        return "path is inside .git"
    return None


def normalize_path(path: str) -> str:
    """`./src//app.py` -> `src/app.py`; call only on paths that passed `unsafe_path_reason`."""
    return "/".join(part for part in path.split("/") if part not in ("", "."))


def parse_answer(text: str) -> ParsedProject:
    """Turn a model's answer (plain, fenced or wrapped JSON) into validated files, dropping unsafe ones."""
    files_value, summary = _unwrap(_load_json(text))
    entries = _entries(files_value)
    files: list[ProjectFile] = []
    warnings: list[str] = []
    seen: set[str] = set()
    total = 0
    for index, (path, content) in enumerate(entries, start=1):
        reason = unsafe_path_reason(path)
        if reason is None and not isinstance(content, str):
            reason = "content is not a string"
        if reason is not None:
            # The path itself is not echoed: it is exactly what must not reach the response.
            warnings.append(f"file #{index} dropped: {reason}")
            continue
        assert isinstance(path, str)  # noqa: S101 - narrowed by unsafe_path_reason
        assert isinstance(content, str)  # noqa: S101 - checked above
        clean = normalize_path(path)
        try:
            size = len(content.encode("utf-8"))
        except UnicodeEncodeError:
            warnings.append(f"file #{index} dropped: content is not valid UTF-8")
            continue
        if clean.casefold() in seen:
            warnings.append(f"file #{index} dropped: duplicate path")
        elif size > MAX_FILE_BYTES:
            warnings.append(f"file #{index} dropped: larger than {MAX_FILE_BYTES} bytes")
        elif len(files) >= MAX_FILES:
            warnings.append(f"file #{index} dropped: more than {MAX_FILES} files")
        elif total + size > MAX_TOTAL_BYTES:
            warnings.append(f"file #{index} dropped: project larger than {MAX_TOTAL_BYTES} bytes")
        else:
            seen.add(clean.casefold())
            total += size
            files.append(ProjectFile(clean, content))
    if not files:
        raise UnusableAnswer("the model's answer holds no usable file")
    return ParsedProject(files=files, summary=summary, warnings=warnings)


def zip_project(files: Iterable[tuple[str, str]]) -> bytes:
    """The project (path, content pairs) as a deterministic zip archive."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, content in files:
            info = zipfile.ZipInfo(path, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content.encode("utf-8"))
    return buffer.getvalue()
