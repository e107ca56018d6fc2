"""Logs: structured JSON lines (with the request id of the request being served) for machines, or readable lines
for a person at a terminal; either way with secrets taken out of every line, whichever library wrote it."""

from __future__ import annotations

import contextvars
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

import msgspec

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime", "taskName"}
)


REDACTED = "[redacted]"
# Query parameters that carry credentials (the live session's `?token=`, guest and receipt links ...).
_SECRET_QUERY = re.compile(
    r"([?&;](?:token|access_?token|refresh_?token|ticket|code|key|secret|password|signature)=)[^&\s\"'#]+",
    re.IGNORECASE,
)
# An Authorization header however it is printed: `Authorization: Basic ...`, `("authorization", "Bearer ...")`.
_AUTHORIZATION = re.compile(
    r"(\b(?:proxy-)?authorization\b[\"']?\W{0,4})((?:basic|bearer|digest)\s+)?[^\s\"',)]+", re.IGNORECASE
)
_COOKIE = re.compile(r"(\b(?:set-)?cookie\b[\"']?\W{0,4})[^\r\n\"']+", re.IGNORECASE)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_PASSWORD_HASH = re.compile(r"\$argon2(?:id|i|d)\$[A-Za-z0-9$=,+/.]+")
# API keys, webhook secrets and the client secrets of SetupIntents and PaymentIntents.
_STRIPE_KEY = re.compile(
    r"\b(?:sk|rk|pk)_(?:test|live)_[A-Za-z0-9]+|\bwhsec_[A-Za-z0-9]+|\b(?:seti|pi)_[A-Za-z0-9]+_secret_[A-Za-z0-9]+"
)
# An OCPP frame that sets a charger password (1.6 AuthorizationKey, 2.0.1 BasicAuthPassword, a network profile's
# passwords), as the websockets library prints frames at DEBUG: every value in such a line goes.
_OCPP_PASSWORD_FRAME = re.compile(r"AuthorizationKey|BasicAuthPassword|Password\"", re.IGNORECASE)
_OCPP_VALUE = re.compile(r'("(?:value|attributeValue|[A-Za-z]*[pP]assword)"\s*:\s*")[^"]*')
# A database's own words about a row: PostgreSQL's `Key (email)=(dana@example.com) already exists.`
_KEY_VALUE = re.compile(r"(\bKey \([^)]*\)=\().*?(\)(?: already exists| is not present| conflicts))")
# SQLAlchemy's bound parameters, should an engine ever be made without `hide_parameters`.
_SQL_PARAMETERS = re.compile(r"\[parameters: [^\n]*")


# Something every pattern above needs; most lines (an access line, a charger connecting) have none of it and
# are passed through after this one search.
_SUSPECT = re.compile(
    r"=|authoriz|cookie|eyJ|\$argon2|_(?:test|live)_|whsec_|_secret_|basicauthpassword|password\"", re.IGNORECASE
)


def redact(text: str) -> str:
    """The text without credentials, password hashes, payment keys and values quoted from the database."""
    if not text or _SUSPECT.search(text) is None:
        return text
    text = _SQL_PARAMETERS.sub("[parameters hidden]", text)
    if _OCPP_PASSWORD_FRAME.search(text):
        text = _OCPP_VALUE.sub(rf"\1{REDACTED}", text)
    text = _KEY_VALUE.sub(rf"\1{REDACTED}\2", text)
    text = _SECRET_QUERY.sub(rf"\1{REDACTED}", text)
    text = _AUTHORIZATION.sub(rf"\1\2{REDACTED}", text)
    text = _COOKIE.sub(rf"\1{REDACTED}", text)
    text = _JWT.sub(REDACTED, text)
    text = _PASSWORD_HASH.sub(REDACTED, text)
    return _STRIPE_KEY.sub(REDACTED, text)


class RedactingFilter(logging.Filter):
    """Rewrites each record before any formatter sees it: message, traceback and string `extra` fields."""

    _exceptions = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._exceptions.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
            record.exc_info = None  # the formatters print exc_text, which is now clean
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and isinstance(value, str):
                setattr(record, key, redact(value))
        return True


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
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return msgspec.json.encode(entry, enc_hook=str).decode()


# Libraries that log a line per connection or per migration step at INFO: heard only at DEBUG.
_CHATTY_LOGGERS = ("websockets", "alembic")


# Libraries whose DEBUG lines print the data itself: SQLAlchemy every result row, aiosqlite every statement with
# its parameters, Stripe every request and response body (password hashes, email addresses, tokens, client
# secrets). At DEBUG they say what they do (INFO) but not with what.
_DATA_DUMPING_LOGGERS = ("sqlalchemy.engine", "aiosqlite", "stripe")


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
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in _CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)
    for name in _DATA_DUMPING_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO if level == "DEBUG" else logging.NOTSET)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "litestar"):
        named = logging.getLogger(name)
        named.handlers[:] = []
        named.propagate = True
    logging.getLogger("uvicorn.access").disabled = True
