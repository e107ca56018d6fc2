"""One worker thread for map computations too large to run between two events of the loop.

The event loop also answers every charger's Heartbeat and every other request, so a search over tens of
thousands of stations runs here instead; small ones stay inline, where a thread hop would cost more than the
work. One thread, not a pool: it takes the interpreter lock from the loop for at most a switch interval at a
time (5 ms), and queued heavy requests wait their turn instead of taking turns with the loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

# Locations a computation may touch inline: about a millisecond of work.
INLINE_LOCATIONS = 2_000


class MapWorker:
    def __init__(self, inline_locations: int = INLINE_LOCATIONS) -> None:
        self.inline_locations = inline_locations
        self.offloaded = 0  # computations that ran on the worker thread
        self._executor: ThreadPoolExecutor | None = None

    async def run(self, work: Callable[[], T], *, locations: int) -> T:
        """`work()` inline when it touches few locations, else on the worker thread."""
        if locations <= self.inline_locations:
            return work()
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="voltway-map")
        self.offloaded += 1
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
