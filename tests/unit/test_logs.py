"""Logs read well at a terminal and stay JSON lines for machines; per-connection chatter stays out of INFO."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest

from api.logs import configure_logging


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    names = ("websockets", "alembic", "sqlalchemy.engine", "aiosqlite", "stripe", "uvicorn", "uvicorn.error")
    chatty = {name: logging.getLogger(name).level for name in names}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in chatty.items():
        logging.getLogger(name).setLevel(old)


def test_auto_writes_readable_lines_to_a_terminal() -> None:
    stream = Terminal()
    configure_logging("INFO", "auto", stream=stream)
    logging.getLogger("api.test").info("catalogue loaded: %d stations", 300)
    text = re.sub(r"\x1b\[[0-9;]*m", "", stream.getvalue())  # without the colours
    assert "catalogue loaded: 300 stations" in text
    assert "INFO" in text
    assert not text.lstrip().startswith("{")


def test_auto_writes_json_lines_anywhere_else() -> None:
    stream = io.StringIO()
    configure_logging("INFO", "auto", stream=stream)
    logging.getLogger("api.test").warning("disk %s", "full", extra={"free_bytes": 0})
    entry = json.loads(stream.getvalue())
    assert entry["level"] == "WARNING"
    assert entry["message"] == "disk full"
    assert entry["free_bytes"] == 0


@pytest.mark.parametrize(("log_format", "is_json"), [("json", True), ("text", False)])
def test_the_setting_wins_over_the_terminal(log_format: str, is_json: bool) -> None:
    stream = Terminal()
    configure_logging("INFO", log_format, stream=stream)
    logging.getLogger("api.test").info("hello")
    assert stream.getvalue().startswith('{"time"') is is_json


def test_per_connection_lines_only_at_debug() -> None:
    stream = io.StringIO()
    configure_logging("INFO", "json", stream=stream)
    logging.getLogger("websockets.server").info("connection open")
    logging.getLogger("ocpp_bridge.server").debug("charger SIM-00001: connected with OCPP 1.6")
    assert stream.getvalue() == ""
    configure_logging("DEBUG", "json", stream=stream)
    logging.getLogger("websockets.server").info("connection open")
    assert "connection open" in stream.getvalue()


JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkYW5hIn0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
ARGON2 = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo+/"


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_secrets_never_reach_a_log_line_whoever_writes_it(log_format: str) -> None:
    stream = io.StringIO()
    configure_logging("DEBUG", log_format, stream=stream)
    for name in ("uvicorn", "uvicorn.error"):  # as `voltway serve` leaves them (a served test app may not)
        logging.getLogger(name).setLevel(logging.NOTSET)
    logging.getLogger("uvicorn.error").info(
        '%s - "WebSocket %s" [accepted]', "127.0.0.1:50123", f"/v1/sessions/5e1f/live?token={JWT}"
    )
    logging.getLogger("websockets.server").debug("< Authorization: Basic U0lNLTAwMDAxOnMzY3JldC1jaGFyZ2Vy")
    logging.getLogger("api.test").info("receipt link sent", extra={"link": "/v1/receipts/5e1f?lang=en&token=r3ce1pt"})
    try:
        raise RuntimeError(
            "\n".join(
                [
                    "(psycopg.errors.UniqueViolation) duplicate key",
                    "DETAIL:  Key (email)=(dana@example.com) already exists.",
                    "[SQL: INSERT INTO users (email, password_hash) VALUES ($1, $2)]",
                    f"[parameters: ('dana@example.com', '{ARGON2}')]",
                ]
            )
        )
    except RuntimeError:
        logging.getLogger("litestar").exception("Uncaught exception (connection_type=http, path='/v1/auth/register')")
    logging.getLogger("api.test").warning("payment key %s rejected", "sk_test_4eC39HqLyjWDarjtT1zdp7dc")
    logging.getLogger("api.test").debug("setup intent %s", {"client_secret": "seti_1Mm2_secret_Zx9Qw"})
    text = stream.getvalue()
    for secret in (
        JWT,
        "U0lNLTAwMDAxOnMzY3JldC1jaGFyZ2Vy",
        "r3ce1pt",
        "dana@example.com",
        ARGON2,
        "sk_test_4eC39",
        "Zx9Qw",
    ):
        assert secret not in text
    assert "/v1/sessions/5e1f/live?token=[redacted]" in text  # the line still says what happened
    assert "Authorization: Basic [redacted]" in text
    assert "/v1/auth/register" in text
    assert "UniqueViolation" in text


@pytest.mark.parametrize("name", ["sqlalchemy.engine.Engine", "aiosqlite", "stripe"])
def test_no_data_dumps_at_debug(name: str) -> None:
    """SQL statements and Stripe requests at DEBUG, but not the rows, parameters and bodies that go with them."""
    stream = io.StringIO()
    configure_logging("DEBUG", "json", stream=stream)
    assert logging.getLogger(name).getEffectiveLevel() == logging.INFO
    configure_logging("WARNING", "json", stream=stream)
    assert logging.getLogger(name).getEffectiveLevel() == logging.WARNING
