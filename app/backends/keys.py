"""The cloud API key: CLOUD_LLM_API_KEY, else the file at CLOUD_LLM_API_KEY_FILE, read again when it changes.

A key file must never break or hang the service: it is opened without blocking and read only when it is a
small regular file (a FIFO would block the reader for ever, a device could be endless), it must be UTF-8, and
the key must be one token of printable ASCII, as it travels in an HTTP header. Until a usable key is there,
cloud mode answers 503 with the reason; a key that appears or rotates later (a secret store updates the
mounted file in place) is picked up by the next cloud request.
"""

import os
import re
import stat
from pathlib import Path
from typing import Final

from app.errors import BackendNotConfigured

MAX_KEY_BYTES: Final = 4096
_TOKEN = re.compile(r"[\x21-\x7e]+")
_UNSET = "cloud mode is not configured: set CLOUD_LLM_API_KEY or CLOUD_LLM_API_KEY_FILE"


def _usable(key: str, source: str) -> str:
    if not key:
        raise BackendNotConfigured(f"cloud mode is not configured: {source} is empty")
    if not _TOKEN.fullmatch(key):
        raise BackendNotConfigured(
            f"cloud mode is not configured: {source} holds more than one line, spaces or non-ASCII characters"
        )
    return key


def _read_key_file(path: Path) -> str:
    source = "CLOUD_LLM_API_KEY_FILE"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise BackendNotConfigured(f"cloud mode is not configured: {source} does not exist") from None
    except OSError as exc:
        raise BackendNotConfigured(
            f"cloud mode is not configured: {source} cannot be opened ({exc.strerror})"
        ) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise BackendNotConfigured(f"cloud mode is not configured: {source} is not a regular file")
        raw = os.read(fd, MAX_KEY_BYTES + 1)
    except OSError as exc:
        raise BackendNotConfigured(f"cloud mode is not configured: {source} cannot be read ({exc.strerror})") from None
    finally:
        os.close(fd)
    if len(raw) > MAX_KEY_BYTES:
        raise BackendNotConfigured(f"cloud mode is not configured: {source} is larger than {MAX_KEY_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BackendNotConfigured(f"cloud mode is not configured: {source} is not UTF-8 text") from None
    return _usable(text.strip(), source)


class ApiKey:
    """Where the cloud key comes from; `get()` returns it or raises BackendNotConfigured with the reason."""

    def __init__(self, *, value: str | None, path: Path | None) -> None:
        self._value = value or None
        self._path = path
        self._seen: tuple[int, int, int, int] | None = None
        self._key: str | None = None
        self._reason = _UNSET

    def get(self) -> str:
        if self._value is not None:
            return _usable(self._value, "CLOUD_LLM_API_KEY")
        if self._path is None:
            raise BackendNotConfigured(_UNSET)
        try:
            info = os.stat(self._path)
            seen: tuple[int, int, int, int] | None = (info.st_dev, info.st_ino, info.st_mtime_ns, info.st_size)
        except OSError:
            seen = None
        if seen is None or seen != self._seen:
            self._seen = seen
            try:
                self._key = _read_key_file(self._path)
            except BackendNotConfigured as exc:
                self._key, self._reason = None, exc.message
        if self._key is None:
            raise BackendNotConfigured(self._reason)
        return self._key
