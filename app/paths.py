"""File-name rules for a generated project: which paths are safe, and which two paths are one file on disk.

A project is unpacked on Linux, macOS and Windows, so a name is judged the way the strictest of their file
systems reads it: APFS and HFS+ fold case fully (`straße` is `strasse`) and ignore Unicode normalization (NFC
and NFD spellings of `café` are one name) and HFS+ ignores invisible code points; NTFS and the Win32 API fold
case, strip trailing dots and spaces (`.git.` is `.git`), answer to 8.3 short names (`GIT~1` is `.git`), and
refuse `<>:"|?*` (a colon names a drive or an alternate data stream: `.git::$INDEX_ALLOCATION`). Every file
system caps one name at 255 bytes, and none holds a file and a folder of the same name.
"""

import re
import unicodedata
from collections.abc import Mapping
from typing import Final

MAX_PATH_CHARS: Final = 240
MAX_NAME_BYTES: Final = 255
#: The workflow the service always adds; model-written files never take its place (or its folder).
CI_WORKFLOW: Final = ".github/workflows/ci.yml"
#: The Kubernetes manifests the service adds to a Python or Node project, which its deploy job applies; the folder
#: is theirs alone, so that a model's file can neither replace them nor be applied with them.
DEPLOY_FOLDER: Final = "deploy"
DEPLOY_MANIFESTS: Final = tuple(
    f"{DEPLOY_FOLDER}/{kind}.yaml" for kind in ("deployment", "service", "httproute", "networkpolicy")
)
#: Folders whose files only the service writes, and what they hold.
RESERVED_FOLDERS: Final = {
    CI_WORKFLOW.rsplit("/", 1)[0]: "the scaffolded CI workflow",
    DEPLOY_FOLDER: "the scaffolded Kubernetes manifests",
}

_WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*]')
# An 8.3 short name as Windows generates it: up to six characters, a tilde, a number, an optional extension.
_SHORT_NAME = re.compile(r"^[^.~]{1,6}~[0-9]{1,6}(\.[^.]{0,3})?$")
_WINDOWS_DEVICES = frozenset(
    ["con", "prn", "aux", "nul", "conin$", "conout$"]
    + [f"{name}{digit}" for name in ("com", "lpt") for digit in "123456789¹²³"]
)
# Default_Ignorable_Code_Point (Unicode DerivedCoreProperties.txt): invisible, and ignored by HFS+ in names.
_IGNORABLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
_ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Controls, format characters, surrogates, private use, unassigned, line and paragraph separators.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _invisible(part: str) -> bool:
    if part.isascii():  # the common case, and the only invisible ASCII characters are controls
        return _ASCII_CONTROL.search(part) is not None
    return any(unicodedata.category(char) in _INVISIBLE_CATEGORIES for char in part) or bool(_IGNORABLE.search(part))


def _component_reason(part: str) -> str | None:
    if _invisible(part):
        return "path contains control or invisible characters"
    if len(part if part.isascii() else unicodedata.normalize("NFD", part).encode("utf-8")) > MAX_NAME_BYTES:
        return f"a path component is longer than {MAX_NAME_BYTES} bytes"
    if _WINDOWS_FORBIDDEN.search(part):
        return 'path contains a character Windows refuses in names (<>:"|?*)'
    if part != part.rstrip(". "):
        return "a path component ends with a dot or a space"
    if fold(part) == ".git":
        return "path is inside .git"
    if _SHORT_NAME.match(part):
        return "a path component looks like a Windows short name (such as GIT~1)"
    if fold(part).split(".", 1)[0] in _WINDOWS_DEVICES:
        return "a path component is a Windows device name"
    return None


def unsafe_path_reason(path: object) -> str | None:
    """Why a path from the model is unsafe, or None when it is a safe relative POSIX file path."""
    if not isinstance(path, str) or not path:
        return "path is missing or not a string"
    if len(path) > MAX_PATH_CHARS:
        return "path is too long"
    if "\\" in path:
        return "path contains a backslash"
    if path.startswith("/"):
        return "path is absolute"
    if path.startswith("~"):
        return "path refers to a home directory"
    parts = path.split("/")
    if ".." in parts:
        return "path contains '..'"
    parts = [part for part in parts if part not in ("", ".")]
    if not parts or path.endswith("/"):
        return "path names a directory, not a file"
    for part in parts:
        reason = _component_reason(part)
        if reason is not None:
            return reason
    return None


def normalize_path(path: str) -> str:
    """`./src//app.py` -> `src/app.py`; call only on paths that passed `unsafe_path_reason`."""
    return "/".join(part for part in path.split("/") if part not in ("", "."))


def fold(name: str) -> str:
    """The name as a case- and normalization-insensitive file system compares it (APFS's full case folding)."""
    if name.isascii():  # casefold is lower() there, and NFD changes nothing
        return name.lower()
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", name).casefold())


class PathSet:
    """Paths that can be unpacked side by side: no two fold to one name, no file where a folder must be, and
    nothing inside a reserved folder."""

    def __init__(self, *, reserved_folders: Mapping[str, str] | None = None) -> None:
        """`reserved_folders`: folder -> what it holds (for the reason given when a path is refused)."""
        self._files: set[str] = set()
        self._folders: set[str] = set()
        self._reserved = {
            fold(folder.rstrip("/") + "/"): (folder, held) for folder, held in (reserved_folders or {}).items()
        }

    def claim(self, path: str, *, reserved: bool = False) -> str | None:
        """Add `path` (normalized) unless it clashes, and say why it does; `reserved` lets the owner of the
        reserved folders in."""
        key = fold(path)
        if key in self._files:
            return "duplicate path"
        if key in self._folders:
            return "a folder of the project has the same name"
        if not reserved:
            for prefix, (folder, held) in self._reserved.items():
                if key.startswith(prefix):
                    return f"{folder}/ holds only {held}"
        parts = key.split("/")
        folders = ["/".join(parts[:end]) for end in range(1, len(parts))]
        if any(folder in self._files for folder in folders):
            return "a file of the project has the name of one of its folders"
        self._files.add(key)
        self._folders.update(folders)
        return None
