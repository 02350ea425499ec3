"""CPU-heavy work off the event loop: parsing megabytes of JSON, checking thousands of files, deflating a zip.

In a worker thread, the event loop keeps serving (`/health` answers while a large answer is parsed). One piece
of work at a time, because it holds the GIL: the loop has to take turns with every such thread, and with
several of them a `/health` request would wait for each in turn.
"""

import asyncio
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

_ONE_AT_A_TIME = threading.Lock()


def _serialized(func: Callable[[], T]) -> T:
    with _ONE_AT_A_TIME:
        return func()


async def offload(func: Callable[[], T]) -> T:
    """`func()` in a worker thread, after any other offloaded work has finished."""
    return await asyncio.to_thread(_serialized, func)
