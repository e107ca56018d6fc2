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
    chatty = {name: logging.getLogger(name).level for name in ("websockets", "alembic")}
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
