"""JSON logs: one object per line on stdout, carrying the request id of the request being served.

Every line is JSON, from the first: the container starts uvicorn with `--log-config app/logging.json` (this
formatter, before the app is even imported), and the lifespan applies LOG_LEVEL and catches the rest (other
libraries' records and Python warnings go through the root logger here too).
"""

import json
import logging
import sys
from contextvars import ContextVar
from typing import Any

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

# uvicorn adds `color_message` (ANSI) to its records; the plain message is enough.
_STANDARD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object; `extra={...}` fields become top-level keys."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id is not None:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc_type"] = record.exc_info[0].__name__ if record.exc_info[0] else None
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, separators=(",", ":"))


def configure_logging(level: str) -> None:
    """Route the service's, uvicorn's and everybody else's logs to stdout as JSON; uvicorn's access log is
    replaced by ours."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    for name in ("app", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level)
        logger.propagate = False
    logging.getLogger("uvicorn.access").disabled = True
    root = logging.getLogger()
    root.handlers = [known for known in root.handlers if not isinstance(known.formatter, JsonFormatter)]
    root.addHandler(handler)
    logging.captureWarnings(True)
