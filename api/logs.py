"""Logs: structured JSON lines (with the request id of the request being served) for machines, or readable lines
for a person at a terminal."""

from __future__ import annotations

import contextvars
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

import msgspec

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime", "taskName"}
)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and any `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        entry.update(
            (key, value)
            for key, value in vars(record).items()
            if key not in _STANDARD_ATTRS and not key.startswith("_")
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return msgspec.json.encode(entry, enc_hook=str).decode()


# Libraries that log a line per connection or per migration step at INFO: heard only at DEBUG.
_CHATTY_LOGGERS = ("websockets", "alembic")


def use_json(log_format: str, *, stream: TextIO | None = None) -> bool:
    """`auto` writes readable lines to a terminal and JSON anywhere else (files, pipes, log collectors)."""
    if log_format == "auto":
        stream = stream or sys.stderr
        return not (hasattr(stream, "isatty") and stream.isatty())
    return log_format == "json"


def readable_handler(stream: TextIO) -> logging.Handler:
    """Time, level and message on one line, in colour when the terminal has it."""
    from rich.console import Console
    from rich.logging import RichHandler

    handler = RichHandler(
        console=Console(file=stream),
        show_path=False,
        markup=False,
        rich_tracebacks=False,
        log_time_format="%H:%M:%S",
    )
    handler.setFormatter(logging.Formatter("%(message)s"))
    return handler


def configure_logging(level: str, log_format: str = "json", *, stream: TextIO | None = None) -> None:
    """Route every logger (ours, uvicorn's, SQLAlchemy's) through one handler on stderr: JSON or readable lines."""
    stream = stream or sys.stderr
    if use_json(log_format, stream=stream):
        handler: logging.Handler = logging.StreamHandler(stream)
        handler.setFormatter(JsonFormatter())
    else:
        handler = readable_handler(stream)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in _CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "litestar"):
        named = logging.getLogger(name)
        named.handlers[:] = []
        named.propagate = True
    logging.getLogger("uvicorn.access").disabled = True
