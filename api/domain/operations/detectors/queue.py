"""Reports handed to the sink in order, without making the caller wait.

A charger's message loop and a driver's request must never wait on the alert engine: they put a report (or a job that
reads the database and yields reports) here, and workers deliver them. Each charger's reports go through one lane, one
after another, so an `active` is never overtaken by the `inactive` that follows it; different chargers' reports go
through several lanes at once, so a boot storm of thousands of chargers does not queue behind one slow delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import Awaitable, Callable, Iterable

from api.domain.operations.conditions import ConditionReport, ConditionSink

logger = logging.getLogger(__name__)

Job = Callable[[], Awaitable[Iterable[ConditionReport]]]
LANES = 8


class ConditionQueue:
    """The workers start with the first report and end with `stop()`."""

    def __init__(self, sink: ConditionSink, *, lanes: int = LANES) -> None:
        self.sink = sink
        self._lanes: list[asyncio.Queue[ConditionReport | Job]] = []
        self._workers: list[asyncio.Task[None]] = []
        self._count = max(1, lanes)

    def _lane(self, key: str | None) -> asyncio.Queue[ConditionReport | Job]:
        if not self._lanes:
            self._lanes = [asyncio.Queue() for _ in range(self._count)]
            self._workers = [
                asyncio.create_task(self._work(lane), name=f"condition-reports-{n}")
                for n, lane in enumerate(self._lanes)
            ]
        return self._lanes[zlib.crc32((key or "").encode()) % self._count]

    def put(self, report: ConditionReport) -> None:
        self._lane(report.charger_id).put_nowait(report)

    def run(self, job: Job, key: str | None = None) -> None:
        """`job` runs after everything put before it in `key`'s lane (a charger id; None: the network's own lane);
        the reports it returns are delivered from there at once."""
        self._lane(key).put_nowait(job)

    async def _work(self, lane: asyncio.Queue[ConditionReport | Job]) -> None:
        while True:
            item = await lane.get()
            try:
                for report in [item] if isinstance(item, ConditionReport) else await item():
                    await self._deliver(report)
            except Exception:
                logger.exception("a condition check failed")
            finally:
                lane.task_done()

    async def _deliver(self, report: ConditionReport) -> None:
        try:
            await self.sink.report(report)
        except Exception:
            logger.exception(
                "the alert engine did not take a %s report", report.rule, extra={"charger_id": report.charger_id}
            )

    async def drain(self) -> None:
        """Wait until everything put so far is delivered."""
        for lane in self._lanes:
            await lane.join()

    async def stop(self) -> None:
        """Deliver what is queued, then end the workers."""
        await self.drain()
        for worker in self._workers:
            worker.cancel()
        for worker in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        self._workers, self._lanes = [], []
