"""Reports handed to the sink in order, without making the caller wait.

A charger's message loop and a driver's request must never wait on the alert engine: they put a report (or a job that
reads the database and yields reports) here, and one worker delivers them one after another, so an `active` is never
overtaken by the `inactive` that follows it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable

from api.domain.operations.conditions import ConditionReport, ConditionSink

logger = logging.getLogger(__name__)

Job = Callable[[], Awaitable[Iterable[ConditionReport]]]


class ConditionQueue:
    """One worker per process; it starts on the first report and stops with `stop()`."""

    def __init__(self, sink: ConditionSink) -> None:
        self.sink = sink
        self._items: asyncio.Queue[ConditionReport | Job] | None = None
        self._worker: asyncio.Task[None] | None = None

    def _queue(self) -> asyncio.Queue[ConditionReport | Job]:
        if self._items is None:
            self._items = asyncio.Queue()
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work(self._items), name="condition-reports")
        return self._items

    def put(self, report: ConditionReport) -> None:
        self._queue().put_nowait(report)

    def run(self, job: Job) -> None:
        """`job` runs on the worker, after everything put before it; the reports it returns follow at once."""
        self._queue().put_nowait(job)

    async def _work(self, items: asyncio.Queue[ConditionReport | Job]) -> None:
        while True:
            item = await items.get()
            try:
                for report in [item] if isinstance(item, ConditionReport) else await item():
                    await self._deliver(report)
            except Exception:
                logger.exception("a condition check failed")
            finally:
                items.task_done()

    async def _deliver(self, report: ConditionReport) -> None:
        try:
            await self.sink.report(report)
        except Exception:
            logger.exception(
                "the alert engine did not take a %s report", report.rule, extra={"charger_id": report.charger_id}
            )

    async def drain(self) -> None:
        """Wait until everything put so far is delivered."""
        if self._items is not None:
            await self._items.join()

    async def stop(self) -> None:
        """Deliver what is queued, then end the worker."""
        await self.drain()
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
