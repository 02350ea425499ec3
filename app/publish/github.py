"""A small GitHub REST API client: one pooled aiohttp session (the library of the service's other backends), the
headers GitHub asks for, bounded calls, and GitHub's error answers read as its documentation describes them.

Each call is bounded by CALL_SECONDS (the request's own deadline bounds the whole publish) and reads at most the
reader's cap; redirects are not followed, so the token never goes anywhere but GITHUB_API_URL. The token is read
for each call (a rotated secret file takes effect at once) and only ever travels in the Authorization header.
"""

import json
import math
import time
from collections.abc import Mapping
from typing import Any, Final

import aiohttp

from app.backends.keys import ApiKey
from app.backends.reader import decode_json_object, read_body
from app.errors import BackendStatusError
from app.publish.errors import (
    GitHubFailed,
    PublishConflict,
    PublishError,
    PublishForbidden,
    PublishNotFound,
    PublishRateLimited,
)

API_VERSION: Final = "2022-11-28"
USER_AGENT: Final = "prompt2prod-generator"
#: One call to GitHub; blob uploads of 256 KiB and tree creation of 200 entries take well under a second.
CALL_SECONDS: Final = 30.0
#: GitHub asks to wait at least a minute after a secondary rate limit that names no time.
SECONDARY_WAIT_SECONDS: Final = 60
MAX_WAIT_SECONDS: Final = 3600
_NAME: Final = "GitHub"


class GitHubStatus(Exception):
    """GitHub answered with an error status; the caller decides what it means in context (`answer`)."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str]) -> None:
        super().__init__(f"GitHub answered {status}")
        self.status = status
        self.message = message
        self.headers = headers


def _github_message(raw: bytes | bytearray) -> str:
    """GitHub's documented `message`, printable and short, or nothing: the rest of an error body is not echoed."""
    try:
        value = json.loads(raw[:65536])
    except (ValueError, RecursionError):
        return ""
    message = value.get("message") if isinstance(value, dict) else None
    if not isinstance(message, str):
        return ""
    return "".join(char for char in message if char.isprintable())[:300]


def _seconds(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def retry_after(error: GitHubStatus, now: float | None = None) -> int | None:
    """Seconds to wait when `error` is a rate limit (as GitHub documents them), else None."""
    if error.status not in (403, 429):
        return None
    headers = error.headers
    wait = _seconds(headers.get("retry-after"))
    remaining = headers.get("x-ratelimit-remaining")
    if wait is None and remaining == "0":
        reset = _seconds(headers.get("x-ratelimit-reset"))
        if reset is not None:
            wait = math.ceil(reset - (time.time() if now is None else now))
    if wait is None and "rate limit" in error.message.lower():
        wait = SECONDARY_WAIT_SECONDS
    if wait is None and error.status == 429:
        wait = SECONDARY_WAIT_SECONDS
    return None if wait is None else min(MAX_WAIT_SECONDS, max(1, wait))


def answer(error: GitHubStatus, what: str) -> PublishError:
    """The service's answer to GitHub's error status while doing `what` (such as "create blobs in acme/app")."""
    said = f": {error.message}" if error.message else ""
    wait = retry_after(error)
    if wait is not None:
        return PublishRateLimited(
            f"GitHub's rate limit was reached while trying to {what}; retry in {wait} s",
            headers={"Retry-After": str(wait)},
        )
    if error.status == 401:
        return PublishForbidden(f"GitHub refused the token (401) while trying to {what}: it is invalid or expired")
    if error.status == 403:
        return PublishForbidden(f"the token lacks the rights to {what} (GitHub answered 403{said})")
    if error.status == 404:
        return PublishNotFound(f"cannot {what}: not found on GitHub, or the token has no access to it")
    if error.status in (409, 422):
        return PublishConflict(f"cannot {what}: GitHub answered {error.status}{said}")
    return GitHubFailed(f"cannot {what}: GitHub answered {error.status}")


class GitHub:
    """Calls to one GitHub API (GITHUB_API_URL) with one token."""

    def __init__(self, *, base_url: str, token: ApiKey, connections: int) -> None:
        self.base_url = base_url
        self.token = token
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=connections, limit_per_host=0, keepalive_timeout=30),
            timeout=aiohttp.ClientTimeout(total=CALL_SECONDS),
            headers={
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": USER_AGENT,
                "Accept-Encoding": "identity",
            },
            auto_decompress=False,
            raise_for_status=False,
        )

    async def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """The JSON object of a 2xx answer; GitHubStatus for an error status; GitHubFailed (502) when GitHub is
        unreachable, slow, or answers what it must not."""
        headers = {"Authorization": f"Bearer {self.token.get()}"}
        try:
            async with self._session.request(
                method, f"{self.base_url}{path}", json=body, headers=headers, allow_redirects=False
            ) as response:
                raw = await read_body(_NAME, response)
                status, answered = response.status, response.headers
        except TimeoutError as exc:
            raise GitHubFailed(f"GitHub did not answer within {CALL_SECONDS:g} s") from exc
        except BackendStatusError as exc:
            raise GitHubFailed(exc.message) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise GitHubFailed("GitHub is unreachable or broke off its answer") from exc
        if not 200 <= status < 300:
            raise GitHubStatus(status, _github_message(raw), {key.lower(): value for key, value in answered.items()})
        try:
            return await decode_json_object(_NAME, raw)
        except BackendStatusError as exc:
            raise GitHubFailed(exc.message) from exc

    async def close(self) -> None:
        await self._session.close()
