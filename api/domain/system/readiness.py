"""The database check behind `/ready`, asked at most once a second however often the probe is called.

Probes stay outside the rate limit (a load balancer behind one address must never be refused), so the answer is
shared: concurrent callers wait for the one check in flight, and a fresh answer is reused for `max_age` seconds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)


class ReadinessCheck:
    def __init__(
        self,
        check: Callable[[], Awaitable[None]],
        max_age: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._check = check
        self._max_age = max_age
        self._clock = clock
        self._answer: tuple[float, bool] | None = None
        self._in_flight: asyncio.Future[bool] | None = None
        self.checks_run = 0

    async def database_reachable(self) -> bool:
        if self._answer is not None and self._clock() - self._answer[0] < self._max_age:
            return self._answer[1]
        if self._in_flight is None:
            self._in_flight = asyncio.ensure_future(self._run())
        return await asyncio.shield(self._in_flight)

    async def _run(self) -> bool:
        self.checks_run += 1
        try:
            await self._check()
        except Exception as exc:
            # The kind only: a driver's message can quote connection details.
            logger.warning("readiness check failed: database unreachable (%s)", type(exc).__name__)
            reachable = False
        else:
            reachable = True
        self._answer = (self._clock(), reachable)
        self._in_flight = None
        return reachable
