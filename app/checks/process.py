"""One external tool run: no shell, its own process group, a time bound, an address-space bound, capped output.

The bound on memory is RLIMIT_AS, set in the child before it runs the tool: the tool's allocations fail past it
and it dies (or reports its own error), whichever language it is written in. It bounds address space, not
resident memory: the Go runtime reserves about 600 MB of address space at start, so it cannot go much lower
than CHECKS_MEMORY_MB's minimum.
"""

import asyncio
import contextlib
import os
import resource
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

#: Bytes of output kept from one stream of one tool run; past this the tool is stopped.
MAX_OUTPUT_BYTES: Final = 4 * 1024 * 1024


class ToolFailure(Exception):
    """The tool did not finish normally (timed out, killed, too much output, could not start)."""


@dataclass(frozen=True, slots=True)
class Finished:
    returncode: int
    stdout: bytes
    stderr: bytes


def _limits(memory_bytes: int) -> Callable[[], None]:
    def apply() -> None:
        # A process group of its own, so that a timeout kills whatever the tool started too. Here rather than
        # `start_new_session`, which uvloop (the service's event loop) ignores.
        os.setsid()
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


async def _read(stream: asyncio.StreamReader | None) -> bytes:
    if stream is None:
        return b""
    data = await stream.read(MAX_OUTPUT_BYTES + 1)
    chunks = [data]
    while data and sum(map(len, chunks)) <= MAX_OUTPUT_BYTES:
        data = await stream.read(MAX_OUTPUT_BYTES + 1)
        chunks.append(data)
    out = b"".join(chunks)
    if len(out) > MAX_OUTPUT_BYTES:
        raise ToolFailure(f"more than {MAX_OUTPUT_BYTES} bytes of output")
    return out


def _kill(process: asyncio.subprocess.Process) -> None:
    # The whole group: a tool may have started helpers of its own.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


async def run_tool(argv: Sequence[str], *, cwd: Path, env: dict[str, str], timeout: float, memory_mb: int) -> Finished:
    """Run `argv` (argv[0] an absolute path) in `cwd`; kill its process group at `timeout` seconds or when the
    caller is cancelled. Raises ToolFailure when it does not finish on its own."""
    # Shielded: cancelled while it starts, asyncio would kill the tool alone and then wait, with this task, for
    # whatever the tool started to let go of its output. The start finishes, then the whole group is killed.
    spawn = asyncio.ensure_future(
        asyncio.create_subprocess_exec(
            *argv,
            cwd=cwd,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            preexec_fn=_limits(memory_mb * 1024 * 1024),  # setsid and setrlimit, in the child
        )
    )
    try:
        process = await asyncio.shield(spawn)
    except OSError as exc:
        raise ToolFailure(f"could not start {Path(argv[0]).name}: {exc.strerror or exc}") from exc
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            started = await spawn
            _kill(started)
            await started.wait()
        raise
    try:
        async with asyncio.timeout(timeout):
            stdout, stderr, returncode = await asyncio.gather(
                _read(process.stdout), _read(process.stderr), process.wait()
            )
    except TimeoutError:
        raise ToolFailure(f"timed out after {timeout:.1f} s") from None
    finally:
        if process.returncode is None:
            _kill(process)
            with contextlib.suppress(Exception):
                await asyncio.shield(process.wait())
    if returncode < 0:
        name = signal.Signals(-returncode).name if -returncode in signal.valid_signals() else str(-returncode)
        raise ToolFailure(f"killed by {name} (the memory bound is CHECKS_MEMORY_MB)")
    return Finished(returncode, stdout, stderr)
