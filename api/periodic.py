"""Background work repeated on a timer for as long as the process runs (flushes, catalogue refreshes)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)


class Periodic:
    """Runs `action` every `interval` seconds, or sooner when `wake()` is called; a failure is logged and retried."""

    def __init__(self, name: str, interval: float, action: Callable[[], Awaitable[None]]) -> None:
        self.name = name
        self.interval = interval
        self._action = action
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()
            try:
                await self._action()
            except Exception:
                logger.exception("%s failed; retrying in %.1f s", self.name, self.interval)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
