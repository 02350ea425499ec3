"""Secrets read from the environment or a mounted file: the cloud API key (CLOUD_LLM_API_KEY, else the file at
CLOUD_LLM_API_KEY_FILE) and, with other names, the GitHub token of publishing. A file is read again when it changes.

A key file must never break or hang the service: it is opened without blocking and read only when it is a
small regular file (a FIFO would block the reader for ever, a device could be endless), it must be UTF-8, and
the key must be one token of printable ASCII, as it travels in an HTTP header. Until a usable key is there,
the feature that needs it answers 503 with the reason; a key that appears or rotates later (a secret store
updates the mounted file in place) is picked up by the next request that needs it.
"""

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from app.errors import BackendNotConfigured

MAX_KEY_BYTES: Final = 4096
_TOKEN = re.compile(r"[\x21-\x7e]+")


@dataclass(frozen=True, slots=True)
class KeyNames:
    """What the error messages call the feature and its two sources (never the value)."""

    feature: str
    variable: str
    file_variable: str


CLOUD_KEY: Final = KeyNames("cloud mode", "CLOUD_LLM_API_KEY", "CLOUD_LLM_API_KEY_FILE")


def _usable(key: str, source: str, feature: str) -> str:
    if not key:
        raise BackendNotConfigured(f"{feature} is not configured: {source} is empty")
    if not _TOKEN.fullmatch(key):
        raise BackendNotConfigured(
            f"{feature} is not configured: {source} holds more than one line, spaces or non-ASCII characters"
        )
    return key


def _read_key_file(path: Path, source: str, feature: str) -> str:
    prefix = f"{feature} is not configured: {source}"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise BackendNotConfigured(f"{prefix} does not exist") from None
    except OSError as exc:
        raise BackendNotConfigured(f"{prefix} cannot be opened ({exc.strerror})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise BackendNotConfigured(f"{prefix} is not a regular file")
        raw = os.read(fd, MAX_KEY_BYTES + 1)
    except OSError as exc:
        raise BackendNotConfigured(f"{prefix} cannot be read ({exc.strerror})") from None
    finally:
        os.close(fd)
    if len(raw) > MAX_KEY_BYTES:
        raise BackendNotConfigured(f"{prefix} is larger than {MAX_KEY_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BackendNotConfigured(f"{prefix} is not UTF-8 text") from None
    return _usable(text.strip(), source, feature)


class ApiKey:
    """Where a key comes from; `get()` returns it or raises BackendNotConfigured with the reason."""

    def __init__(self, *, value: str | None, path: Path | None, names: KeyNames = CLOUD_KEY) -> None:
        self._value = value or None
        self._path = path
        self._names = names
        self._seen: tuple[int, int, int, int] | None = None
        self._key: str | None = None
        self._reason = f"{names.feature} is not configured: set {names.variable} or {names.file_variable}"

    def get(self) -> str:
        names = self._names
        if self._value is not None:
            return _usable(self._value, names.variable, names.feature)
        if self._path is None:
            raise BackendNotConfigured(self._reason)
        try:
            info = os.stat(self._path)
            seen: tuple[int, int, int, int] | None = (info.st_dev, info.st_ino, info.st_mtime_ns, info.st_size)
        except OSError:
            seen = None
        if seen is None or seen != self._seen:
            self._seen = seen
            try:
                self._key = _read_key_file(self._path, names.file_variable, names.feature)
            except BackendNotConfigured as exc:
                self._key, self._reason = None, exc.message
        if self._key is None:
            raise BackendNotConfigured(self._reason)
        return self._key
