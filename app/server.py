"""Uvicorn's HTTP protocol with a read timeout: `--http app.server:ReadTimeoutProtocol`.

Uvicorn bounds only the idle time between keep-alive requests, so a client that sends part of its headers, or
part of its body, holds a connection (and a file descriptor) for as long as it likes. This protocol closes a
connection whose client has not sent a whole request within CLIENT_READ_TIMEOUT_SECONDS of connecting, or of
the previous response; the app then sees the client leave.
"""

import asyncio
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

#: Where the lifespan puts CLIENT_READ_TIMEOUT_SECONDS in uvicorn's lifespan state (handed to protocols).
READ_TIMEOUT_STATE_KEY = "client_read_timeout_seconds"
DEFAULT_READ_TIMEOUT_SECONDS = 10.0


class ReadTimeoutProtocol(HttpToolsProtocol):
    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._read_timeout = float(app_state.get(READ_TIMEOUT_STATE_KEY, DEFAULT_READ_TIMEOUT_SECONDS))
        self._read_timer: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        self._disarm()
        self._read_timer = self.loop.call_later(self._read_timeout, self._read_timed_out)

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _read_timed_out(self) -> None:
        self._read_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # Unless a pipelined request, already read, is now being answered.
        if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)
