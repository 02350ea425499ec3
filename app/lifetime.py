"""How long one generation request may live: its deadline, and no longer than its client stays connected.

REQUEST_TIMEOUT_SECONDS bounds the whole request, every attempt and the whole stream included (the gateway's
route timeout and the pod's grace period are derived from it); LLM_TIMEOUT_SECONDS bounds one backend call,
capped by what remains of the request's budget. A client that disconnects cancels the backend call at once,
whatever the response mode, so that its generation slot is free again.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TypeVar

from starlette.types import Receive

from app.errors import BackendTimeout

T = TypeVar("T")


class RequestTimeout(BackendTimeout):
    """The request as a whole ran out of time (504, like a backend timeout)."""


class ClientGone(Exception):
    """The client disconnected: there is nobody left to answer."""


class Deadline:
    """The time budget of one request, started when the request is admitted."""

    def __init__(self, *, request_seconds: float, call_seconds: float) -> None:
        self._loop = asyncio.get_running_loop()
        self.end = self._loop.time() + request_seconds
        # Backend work stops a little before the end, so that the 504 (or the NDJSON error event) still goes
        # out in time; `watched` enforces the end itself.
        self._work_end = self.end - min(0.5, request_seconds * 0.05)
        self.call_seconds = call_seconds

    def remaining(self) -> float:
        return self.end - self._loop.time()

    def work_left(self) -> float:
        """Seconds left for work on the request before it must stop, so that the answer still goes out in time."""
        return self._work_end - self._loop.time()

    def call_end(self) -> float:
        """When a backend call that starts now must be over."""
        return min(self._loop.time() + self.call_seconds, self._work_end)

    @asynccontextmanager
    async def until(self, call_end: float, backend: str) -> AsyncIterator[None]:
        """Bound one step of a backend call (the call itself, or the wait for its next streamed piece)."""
        try:
            async with asyncio.timeout_at(call_end):
                yield
        except TimeoutError as exc:
            if call_end >= self._work_end:
                raise RequestTimeout("the request did not finish within REQUEST_TIMEOUT_SECONDS") from exc
            raise BackendTimeout(f"{backend} did not answer within LLM_TIMEOUT_SECONDS") from exc

    def own_work(self) -> AbstractAsyncContextManager[None]:
        """Bound the service's own work on an answer (checking it, packing the zip) as backend work is: it
        stops just before the deadline, so that the 504 or the NDJSON error event still goes out in time."""
        return self.until(self._work_end, "the service")


async def _disconnected(receive: Receive) -> None:
    # The body has been read: what the server hands out next is the disconnect (or nothing, until it happens).
    while (await receive())["type"] != "http.disconnect":
        pass


async def watched(receive: Receive, work: Awaitable[T], deadline: Deadline) -> T:
    """The result of `work`, unless the client disconnects first (ClientGone) or the deadline passes
    (RequestTimeout); either way `work` is cancelled, which closes its backend call, before this returns.

    `work` runs in the calling task (one task per request is cheaper than two), which a watcher cancels when
    the client leaves.
    """
    this = asyncio.current_task()
    assert this is not None  # noqa: S101 - always called from a request's task
    left = False

    async def watch() -> None:
        nonlocal left
        await _disconnected(receive)
        left = True
        this.cancel()

    watcher = asyncio.get_running_loop().create_task(watch())
    try:
        async with asyncio.timeout_at(deadline.end):
            return await work
    except asyncio.CancelledError:
        if left and this.uncancel() == 0:
            raise ClientGone from None
        raise
    except TimeoutError as exc:
        raise RequestTimeout("the request did not finish within REQUEST_TIMEOUT_SECONDS") from exc
    finally:
        # No await since `work` finished: the watcher cannot have cancelled this task after it.
        watcher.cancel()
