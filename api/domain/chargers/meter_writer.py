"""Meter samples are buffered and written in batches: one transaction per flush, Core inserts, no per-row commits.

A replayed sample (same transaction and timestamp) is ignored by the unique key, so replays after a
reconnect never count energy twice. The latest reading of each transaction is also kept on its row.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import ChargingTransaction, MeterSampleRecord
from api.db.types import utc_now
from api.metrics import instruments as metrics
from api.periodic import Periodic
from ocpp_bridge.events import MeterSample

logger = logging.getLogger(__name__)


class _Latest:
    __slots__ = ("at", "energy_wh", "power_w", "soc_percent", "state")

    def __init__(self) -> None:
        self.at: datetime | None = None
        self.energy_wh: float | None = None
        self.power_w: float | None = None
        self.soc_percent: float | None = None
        self.state: str | None = None


class MeterSampleWriter:
    """Collects samples from every charger and writes them every `flush_seconds` or `max_rows` rows."""

    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], *, flush_seconds: float = 1.0, max_rows: int = 5000
    ) -> None:
        self._session_factory = session_factory
        self._flush_seconds = flush_seconds
        self._max_rows = max_rows
        self._rows: list[dict[str, object]] = []
        self._latest: dict[uuid.UUID, _Latest] = {}
        self._lock = asyncio.Lock()
        self._timer = Periodic("meter-sample-writer", flush_seconds, self.flush)
        self.rows_written = 0

    def add(
        self,
        transaction_id: uuid.UUID,
        meter_start_wh: float | None,
        samples: Sequence[MeterSample],
        placed: Sequence[MeterSample] | None = None,
    ) -> None:
        """`samples` as the charger stamped them (their identity); `placed`, the same on our timeline (see
        `clock.py`), orders them; without it the charger's stamps are taken as they are."""
        latest = self._latest.setdefault(transaction_id, _Latest())
        for sample, on_our_clock in zip(samples, placed or samples, strict=True):
            at = on_our_clock.timestamp
            self._rows.append(
                {
                    "transaction_id": transaction_id,
                    "timestamp": sample.timestamp,
                    "at": at,
                    "energy_wh": sample.energy_wh,
                    "power_w": sample.power_w,
                    "soc_percent": sample.soc_percent,
                    "current_a": sample.current_a,
                    "voltage_v": sample.voltage_v,
                    "context": sample.context,
                }
            )
            if latest.at is None or at >= latest.at:
                latest.at = at
                if sample.energy_wh is not None and meter_start_wh is not None:
                    latest.energy_wh = max(0.0, sample.energy_wh - meter_start_wh)
                if sample.power_w is not None:
                    latest.power_w = sample.power_w
                if sample.soc_percent is not None:
                    latest.soc_percent = sample.soc_percent
        if len(self._rows) >= self._max_rows:
            self._timer.wake()

    def set_state(self, transaction_id: uuid.UUID, state: str) -> None:
        self._latest.setdefault(transaction_id, _Latest()).state = state

    @property
    def pending(self) -> int:
        return len(self._rows)

    async def flush(self) -> None:
        """Write what is buffered; on failure it goes back into the buffer for the next attempt."""
        async with self._lock:
            if not self._rows and not self._latest:
                return
            rows, self._rows = self._rows, []
            latest, self._latest = self._latest, {}
            started = time.perf_counter()
            try:
                await self._write(rows, latest)
            except Exception:
                metrics.timed_flush(len(rows), started, failed=True)
                self._rows[:0] = rows
                for transaction_id, values in latest.items():
                    self._latest.setdefault(transaction_id, values)
                raise
            metrics.timed_flush(len(rows), started, failed=False)
            self.rows_written += len(rows)

    async def _write(self, rows: list[dict[str, object]], latest: dict[uuid.UUID, _Latest]) -> None:
        async with self._session_factory() as session:
            if rows:
                dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
                insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
                await session.execute(insert(MeterSampleRecord).on_conflict_do_nothing(), rows)
            now = utc_now()
            updates: list[dict[str, object]] = []
            for transaction_id, values in latest.items():
                change: dict[str, object] = {"id": transaction_id, "updated_at": now}
                for field in ("energy_wh", "power_w", "soc_percent"):
                    value = getattr(values, field)
                    if value is not None:
                        change[field] = value
                if values.state is not None:
                    change["charging_state"] = values.state
                updates.append(change)
            # executemany needs the same columns in every row: one statement per shape. An ended transaction keeps
            # the energy its stop settled: a reading arriving afterwards (late, or replayed altered) is stored only.
            still_open = (
                update(ChargingTransaction)
                .where(ChargingTransaction.status != "ended")
                .execution_options(synchronize_session=None)
            )
            for keys in {frozenset(u) for u in updates}:
                await session.execute(still_open, [u for u in updates if frozenset(u) == keys])
            await session.commit()

    async def start(self) -> None:
        self._timer.start()

    async def stop(self) -> None:
        """Stop the timer and write what is buffered, so nothing is lost on shutdown."""
        await self._timer.stop()
        await self.flush()
