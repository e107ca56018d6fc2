"""Keeping the metrics rollups up to date: a finished session is added in the transaction that finishes it.

Billing turns a session `completed` and a failed start turns it `failed`, each exactly once under a row lock; the
same transaction adds the session to its charger's day and month rows with an atomic upsert (`value = value +
excluded`), so any number of processes can finish sessions at once and a rollback leaves no trace in the rollups.
A session belongs to the local day (location's time zone) it started on.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import (
    ChargerHours,
    ChargerRollup,
    ChargingSession,
    ChargingTransaction,
    DriverFirstSession,
    MeterSampleRecord,
)
from api.db.models.metrics import HOUR_COLUMNS

ROLLUP_KEY = ("grain", "period_start", "charging_station_id", "currency")
HOURS_KEY = ("grain", "period_start", "weekday", "charging_station_id")
GRAINS = ("day", "month")


def local_zone(name: str | None) -> ZoneInfo:
    """The location's zone; an unknown name (a bad import) counts in UTC rather than losing the session."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def period_start(grain: str, day: date) -> date:
    return day if grain == "day" else day.replace(day=1)


def driver_hash(record: ChargingSession) -> str | None:
    """Who charged, as a hash: the account, else the guest's email, else the charge card; None when unknown."""
    if record.user_id is not None:
        who = f"user:{record.user_id}"
    elif record.guest_email:
        who = f"guest:{record.guest_email.strip().lower()}"
    elif record.id_token:
        who = f"token:{record.id_token}"
    else:
        return None
    return hashlib.sha256(who.encode()).hexdigest()


def delivering_seconds(readings: Sequence[tuple[datetime, float | None, float | None]], fallback: float) -> float:
    """Seconds in which energy flowed: the gaps between consecutive readings (at, energy Wh, power W) across which
    the register rose (or, without registers, the earlier reading showed power). With fewer than two readings
    the whole session counts when it delivered anything (`fallback`)."""
    if len(readings) < 2:
        return fallback
    total = 0.0
    for (at, energy, power), (next_at, next_energy, _) in pairwise(readings):
        if energy is not None and next_energy is not None:
            flowing = next_energy > energy
        else:
            flowing = power is not None and power > 0
        if flowing:
            total += max(0.0, (next_at - at).total_seconds())
    return total


@dataclass(frozen=True, slots=True)
class Contribution:
    """What one finished session adds to its charger's rollups."""

    charging_station_id: uuid.UUID
    location_id: uuid.UUID
    currency: str
    local_start: datetime  # in the location's time zone
    sessions: int = 0
    failed_starts: int = 0
    energy_wh: float = 0.0
    duration_seconds: float = 0.0
    delivering_seconds: float = 0.0
    revenue_minor: int = 0
    first_time_drivers: int = 0


async def add_failed_start(db: AsyncSession, record: ChargingSession) -> None:
    """A start the charger did not carry out (refused, no answer, offline, never began): one failed start."""
    moment = record.created_at
    await _add(
        db,
        Contribution(
            charging_station_id=record.charging_station_id,
            location_id=record.location_id,
            currency=record.currency,
            local_start=moment.astimezone(local_zone(record.time_zone)),
            failed_starts=1,
        ),
    )


async def add_completed(db: AsyncSession, record: ChargingSession) -> None:
    """A billed session: its energy, time plugged in and delivering, revenue and whether it was a driver's first.

    Call it in the transaction that marks the session completed, with `ended_at`, `cdr` and `amount_due_minor`
    set (the energy is the CDR's, as the driver was billed for it)."""
    energy_wh = _cdr_energy_wh(record.cdr)
    started = record.started_at or record.created_at
    ended = record.ended_at or started
    duration = max(0.0, (ended - started).total_seconds())
    readings: list[tuple[datetime, float | None, float | None]] = []
    transaction = await db.get(ChargingTransaction, record.transaction_id) if record.transaction_id else None
    if transaction is not None:
        rows = await db.execute(
            select(MeterSampleRecord.at, MeterSampleRecord.energy_wh, MeterSampleRecord.power_w)
            .where(MeterSampleRecord.transaction_id == transaction.id)
            .order_by(MeterSampleRecord.at, MeterSampleRecord.id)
        )
        # the transaction's own start and stop registers bound the samples, as billing reads them
        readings = [
            (transaction.started_at, transaction.meter_start_wh, None),
            *((at, energy, power) for at, energy, power in rows),
        ]
        if transaction.ended_at is not None:
            readings.append((transaction.ended_at, transaction.meter_stop_wh, 0.0))
    delivering = min(duration, delivering_seconds(readings, duration if energy_wh > 0 else 0.0))
    first = 0
    who = driver_hash(record)
    if who is not None:
        first = int(await _first_session(db, who, record.id, ended))
    await _add(
        db,
        Contribution(
            charging_station_id=record.charging_station_id,
            location_id=record.location_id,
            currency=record.currency,
            local_start=started.astimezone(local_zone(record.time_zone)),
            sessions=1,
            energy_wh=max(0.0, energy_wh),
            duration_seconds=duration,
            delivering_seconds=delivering,
            revenue_minor=record.amount_due_minor or 0,
            first_time_drivers=first,
        ),
    )


async def _first_session(db: AsyncSession, who: str, session_id: uuid.UUID, at: datetime) -> bool:
    """Claims the driver's first session for this one; False when another finished before (in any process)."""
    values = {"driver_hash": who, "session_id": session_id, "first_at": at}
    table = DriverFirstSession.__table__
    assert isinstance(table, Table)
    if _dialect(db) == "postgresql":
        statement: Any = postgresql.insert(table).values(values).on_conflict_do_nothing()
    else:
        statement = sqlite.insert(table).values(values).on_conflict_do_nothing()
    result = await db.execute(statement.returning(table.c.driver_hash))
    return result.first() is not None


async def _add(db: AsyncSession, part: Contribution) -> None:
    day = part.local_start.date()
    figures = {
        "sessions": part.sessions,
        "failed_starts": part.failed_starts,
        "energy_wh": part.energy_wh,
        "duration_seconds": part.duration_seconds,
        "delivering_seconds": part.delivering_seconds,
        "revenue_minor": part.revenue_minor,
        "first_time_drivers": part.first_time_drivers,
    }
    rows = [
        {
            "grain": grain,
            "period_start": period_start(grain, day),
            "charging_station_id": part.charging_station_id,
            "currency": part.currency,
            "location_id": part.location_id,
            **figures,
        }
        for grain in GRAINS
    ]
    await _upsert(db, ChargerRollup.__table__, rows, ROLLUP_KEY, tuple(figures))
    if part.sessions:
        hour_column = HOUR_COLUMNS[part.local_start.hour]
        hours = [
            {
                "grain": grain,
                "period_start": period_start(grain, day),
                "weekday": day.weekday(),
                "charging_station_id": part.charging_station_id,
                "location_id": part.location_id,
                **{column: int(column == hour_column) for column in HOUR_COLUMNS},
            }
            for grain in GRAINS
        ]
        await _upsert(db, ChargerHours.__table__, hours, HOURS_KEY, (hour_column,))


async def _upsert(
    db: AsyncSession, table: Any, rows: list[dict[str, Any]], key: tuple[str, ...], summed: tuple[str, ...]
) -> None:
    """Insert the rows, or add their `summed` columns to the rows already there (atomic on both databases)."""
    assert isinstance(table, Table)
    if _dialect(db) == "postgresql":
        pg = postgresql.insert(table).values(rows)
        await db.execute(
            pg.on_conflict_do_update(
                index_elements=list(key), set_={name: table.c[name] + pg.excluded[name] for name in summed}
            )
        )
    else:
        lite = sqlite.insert(table).values(rows)
        await db.execute(
            lite.on_conflict_do_update(
                index_elements=list(key), set_={name: table.c[name] + lite.excluded[name] for name in summed}
            )
        )


def _dialect(db: AsyncSession) -> str:
    return db.get_bind().dialect.name


async def rebuild(db: AsyncSession, *, batch: int = 500) -> int:
    """Recompute every rollup from the sessions (after restoring a backup, or for history older than the rollups):
    the rollups are emptied and each finished session added again in the order they ended. Returns the sessions
    counted. Run it with writers stopped, or accept that sessions finishing meanwhile may count twice."""
    await db.execute(delete(ChargerRollup))
    await db.execute(delete(ChargerHours))
    await db.execute(delete(DriverFirstSession))
    counted = 0
    after: tuple[datetime, uuid.UUID] | None = None
    while True:
        query = (
            select(ChargingSession)
            .where(ChargingSession.status.in_(("completed", "failed")), ChargingSession.ended_at.is_not(None))
            .order_by(ChargingSession.ended_at, ChargingSession.id)
            .limit(batch)
        )
        if after is not None:
            query = query.where(
                (ChargingSession.ended_at > after[0])
                | ((ChargingSession.ended_at == after[0]) & (ChargingSession.id > after[1]))
            )
        records = (await db.execute(query)).scalars().all()
        if not records:
            return counted
        for record in records:
            if record.status == "completed":
                await add_completed(db, record)
            elif counts_as_failed_start(record.failure_reason):
                await add_failed_start(db, record)
            counted += 1
        last = records[-1]
        assert last.ended_at is not None
        after = (last.ended_at, last.id)


def _cdr_energy_wh(cdr: dict[str, Any] | None) -> float:
    try:
        return float((cdr or {}).get("total_energy", 0)) * 1000
    except (TypeError, ValueError):
        return 0.0


# The failures that are not the charger's: the payment, or the driver cancelling before the charger started.
NOT_THE_CHARGER = ("Payment declined", "The payment could not be authorised", "Cancelled before the charger started")


def counts_as_failed_start(failure_reason: str | None) -> bool:
    """Whether a failed session's reason makes it the charger's failed start (not the payment's or the driver's)."""
    return not (failure_reason or "").startswith(NOT_THE_CHARGER)
