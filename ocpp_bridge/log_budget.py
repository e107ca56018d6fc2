"""A budget of warning lines per charger (or per other source), so one misbehaving peer cannot flood the log.

The first ``limit`` warnings of a window are written; the rest are counted, and one summary line says how many were
suppressed when the window ends (at the next warning after it, or when the connection closes).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Final

DEFAULT_LIMIT: Final = 20
DEFAULT_WINDOW_SECONDS: Final = 60.0


class LogBudget:
    """Warnings and errors about one subject (a charger's traffic, say): ``limit`` lines per ``window`` seconds."""

    __slots__ = ("_clock", "_logger", "_started_at", "_suppressed", "_written", "limit", "subject", "window")

    def __init__(
        self,
        logger: logging.Logger,
        subject: str,
        limit: int = DEFAULT_LIMIT,
        window: float = DEFAULT_WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.subject = subject
        self.limit = limit
        self.window = window
        self._logger = logger
        self._clock = clock
        self._started_at = clock()
        self._written = 0
        self._suppressed = 0

    def warning(self, msg: str, *args: object) -> None:
        self.log(logging.WARNING, msg, *args)

    def exception(self, msg: str, *args: object) -> None:
        """An error with its traceback, within the same budget (a failing backend fails for every message)."""
        self.log(logging.ERROR, msg, *args, exc_info=True)

    def log(self, level: int, msg: str, *args: object, exc_info: bool = False) -> None:
        if not self._logger.isEnabledFor(level):
            return
        moment = self._clock()
        if moment - self._started_at >= self.window:
            self.flush()
            self._started_at = moment
        if self._written < self.limit:
            self._written += 1
            self._logger.log(level, msg, *args, exc_info=exc_info, stacklevel=3)
            if self._written == self.limit:
                self._logger.warning(
                    "%s: %d log lines in %.0f s, suppressing the rest of this window",
                    self.subject,
                    self.limit,
                    self.window,
                )
        else:
            self._suppressed += 1

    def flush(self) -> None:
        """Write the summary of the window's suppressed lines, if any, and start counting afresh."""
        if self._suppressed:
            self._logger.warning("%s: %d further log lines suppressed", self.subject, self._suppressed)
        self._written = 0
        self._suppressed = 0
