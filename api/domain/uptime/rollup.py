"""Uptime rolled up per port and UTC day, so that a year's report sums a few rows per port instead of walking every
outage interval with its exclusions.

The days before `uptime_rollup.rolled_until` are complete in `port_uptime_days` (a row only where the port had an
outage); the day before today and today stay computed from the outage log, so the roll never has to guess at a
day still changing. Each day's figures are the calculation's own (`calculation.port_seconds` over day periods),
and the minutes of disjoint days add up, so a report over rolled days equals one over the log.

What can change a rolled day: an outage written with a time before `rolled_until` (a charger's late status, a
backfill) and an exclusion marked or withdrawn over rolled days. Those writers call `reroll` in their own
transaction for the ports and days they touched. Rolling and re-rolling hold one lock (an advisory lock on
PostgreSQL, the write lock on SQLite), so a day is never rolled from a snapshot missing a concurrent change.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Final

from sqlalchemy import ColumnElement, delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import Evse, PortOutage, PortUptimeDay, UptimeRollup
from api.domain.uptime.calculation import (
    ROLLUP_ROW,
    Period,
    ceil_day,
    day_start,
    floor_day,
    port_seconds,
    ports_query,
    rolled_until,
)

logger = logging.getLogger(__name__)

LIVE_DAYS: Final = 1  # whole days before today still computed from the log
CHUNK_DAYS: Final = 31  # days computed per query while rolling
_LOCK: Final = 680_116  # the advisory lock's number (23 CFR 680.116)


def roll_target(now: datetime) -> date:
    """The day `rolled_until` may reach at `now`: today and the LIVE_DAYS before it stay live."""
    return floor_day(now) - timedelta(days=LIVE_DAYS)


async def _lock(session: AsyncSession) -> date | None:
    """Hold the roll-up for the transaction; `rolled_until` as it is then."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(_LOCK)))
    else:  # a write takes SQLite's one write lock
        await session.execute(update(UptimeRollup).where(UptimeRollup.id == ROLLUP_ROW).values(id=ROLLUP_ROW))
    found = (await session.execute(select(UptimeRollup.id, UptimeRollup.rolled_until))).first()
    if found is None:
        await session.execute(insert(UptimeRollup).values(id=ROLLUP_ROW, rolled_until=None))
        return None
    return found[1]


async def _compute(session: AsyncSession, conditions: Sequence[ColumnElement[bool]], first: date, last: date) -> int:
    """Write the days [first, last) of the ports `conditions` select; returns the rows written."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SET LOCAL jit = off"))
    written = 0
    day = first
    while day < last:
        days = [day + timedelta(days=n) for n in range(min(CHUNK_DAYS, (last - day).days))]
        now = day_start(days[-1] + timedelta(days=1))  # every day of the chunk is over: an open outage fills it
        ports = ports_query(*conditions).cte("ports")
        built = port_seconds(ports, [Period(day_start(d), day_start(d + timedelta(days=1))) for d in days], now)
        if built is not None:
            _, per_port = built
            rows = await session.execute(
                select(per_port.c.p, per_port.c.evse_id, per_port.c.outage, per_port.c.excluded).where(
                    per_port.c.outage > 0
                )
            )
            values = [
                {"evse_id": evse_id, "day": days[int(p)], "outage_seconds": outage, "excluded_seconds": excluded}
                for p, evse_id, outage, excluded in rows
            ]
            for start in range(0, len(values), 5000):
                await session.execute(insert(PortUptimeDay), values[start : start + 5000])
            written += len(values)
        day = days[-1] + timedelta(days=1)
    return written


async def roll(session_factory: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """Roll the days that ended more than LIVE_DAYS ago up; returns the rows written (0 when nothing was due)."""
    target = roll_target(now)
    async with session_factory() as session:
        until = await rolled_until(session)
    if until is not None and until >= target:
        return 0
    async with session_factory() as session, session.begin():
        until = await _lock(session)
        if until is not None and until >= target:
            return 0
        written = await _roll_every_port(session, until, target)
    if written:
        logger.info("uptime rolled up to %s: %d port-days with outages", target.isoformat(), written)
    return written


async def reroll(
    session: AsyncSession, ports: Sequence[ColumnElement[bool]], since: datetime, until: datetime | None = None
) -> None:
    """Inside a transaction that changed the outages or exclusions of the ports `ports` selects from `since` (to
    `until`, or on): compute their rolled days in that span again from what the transaction wrote."""
    rolled = await rolled_until(session)
    first = floor_day(since)
    if rolled is None or first >= rolled:
        return
    await session.flush()
    rolled = await _lock(session)
    if rolled is None:
        return
    last = rolled if until is None else min(rolled, ceil_day(until))
    if first >= last:
        return
    chosen = select(Evse.id).where(*ports).scalar_subquery()
    await session.execute(
        delete(PortUptimeDay).where(
            PortUptimeDay.evse_id.in_(chosen), PortUptimeDay.day >= first, PortUptimeDay.day < last
        )
    )
    await _compute(session, [Evse.charging_station_id.is_not(None), *ports], first, last)


async def rebuild(session: AsyncSession, now: datetime) -> int:
    """Every rolled day again, from the outage log (after a restore, or an edit made outside the API)."""
    await _lock(session)
    await session.execute(delete(PortUptimeDay))
    return await _roll_every_port(session, None, roll_target(now))


async def _roll_every_port(session: AsyncSession, first: date | None, target: date) -> int:
    """Every port's days [first, target) written again (from the log's first outage when `first` is None) and
    `rolled_until` moved to `target`, under the lock; returns the rows written."""
    if first is None:
        earliest = await session.scalar(select(func.min(PortOutage.started_at)))
        first = min(floor_day(earliest), target) if earliest is not None else target
    await session.execute(delete(PortUptimeDay).where(PortUptimeDay.day >= first))
    written = await _compute(session, [Evse.charging_station_id.is_not(None)], first, target)
    await session.execute(update(UptimeRollup).where(UptimeRollup.id == ROLLUP_ROW).values(rolled_until=target))
    return written


__all__ = ["rebuild", "reroll", "roll", "roll_target"]
