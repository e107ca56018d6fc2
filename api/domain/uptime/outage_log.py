"""The outage log: per port, the intervals it could not charge, kept in step with the live state.

The log is derived from what the database says now (`charging_stations.connected`, `evses.status`), not from
messages: the live-state writer calls `OutageLog.ports_changed` inside the transaction that wrote a status or a
connection change (so the interval starts at that change's own time), and a periodic sweep does the same for
every port, catching what other paths write (the maintenance work, a dead process's chargers released, admin
edits). Several processes may do both at once: at most one interval per port is open (a partial unique index),
opening is an insert that does nothing on conflict, closing an update of the open one.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

import msgspec
from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import ChargingStation, Evse, PortOutage
from api.db.types import utc_now
from api.domain.chargers.live_writer import chunks, table_of
from api.domain.uptime.calculation import day_start
from api.domain.uptime.rollup import reroll, roll, roll_target

logger = logging.getLogger(__name__)

SWEEP_SECONDS: Final = 30.0
DOWN_STATUSES: Final = ("OUTOFORDER", "INOPERATIVE")


class PortState(msgspec.Struct, frozen=True):
    """What one port looks like now, and its open outage if any."""

    evse_id: uuid.UUID
    station_id: uuid.UUID
    location_id: uuid.UUID
    status: str
    ocpp_status: str | None
    error_code: str | None
    status_source: str
    status_at: datetime
    connected: bool
    last_seen: datetime | None
    open_id: uuid.UUID | None
    open_cause: str | None
    open_error: str | None
    open_since: datetime | None


class Down(msgspec.Struct, frozen=True):
    cause: str
    error_code: str | None
    ocpp_status: str | None


def is_maintenance(status_source: str) -> bool:
    """The maintenance work marks its EVSEs INOPERATIVE with a `maintenance` status source."""
    return status_source.lower().startswith("maint")


def down_of(state: PortState) -> Down | None:
    """Why the port cannot charge now, or None. Maintenance wins (a charger switched off for its inspection is not
    an outage that counts), then a lost connection, then what the charger reports."""
    if state.status == "INOPERATIVE" and is_maintenance(state.status_source):
        return Down("maintenance", None, state.ocpp_status)
    if not state.connected and state.last_seen is not None:  # never connected: not commissioned yet
        return Down("offline", None, None)
    if state.status == "OUTOFORDER" or state.ocpp_status == "Faulted":
        return Down("fault", state.error_code, state.ocpp_status)
    if state.status == "INOPERATIVE":
        return Down("unavailable", state.error_code, state.ocpp_status)
    return None


def _changed_at(state: PortState, before: str | None, after: Down | None, now: datetime) -> datetime:
    """When the change happened: the disconnect/reconnect (last seen) for a connection change, the status's own time
    otherwise; never before the open interval began, never in the future."""
    connection = before == "offline" or (after is not None and after.cause == "offline")
    at = state.last_seen if connection and state.last_seen is not None else state.status_at
    if state.open_since is not None and at < state.open_since:
        at = state.open_since
    return min(at, now)


def _down_condition() -> ColumnElement[bool]:
    return or_(
        Evse.status.in_(DOWN_STATUSES),
        Evse.ocpp_status == "Faulted",
        and_(ChargingStation.connected.is_(False), ChargingStation.last_seen.is_not(None)),
    )


def _states_query() -> Any:
    return select(
        Evse.id,
        ChargingStation.id,
        Evse.location_id,
        Evse.status,
        Evse.ocpp_status,
        Evse.error_code,
        Evse.status_source,
        Evse.status_updated_at,
        ChargingStation.connected,
        ChargingStation.last_seen,
        PortOutage.id,
        PortOutage.cause,
        PortOutage.error_code,
        PortOutage.started_at,
    ).select_from(
        Evse.__table__.join(ChargingStation, ChargingStation.id == Evse.charging_station_id).outerjoin(
            PortOutage, and_(PortOutage.evse_id == Evse.id, PortOutage.ended_at.is_(None))
        )
    )


async def port_states(
    session: AsyncSession, *, evse_ids: Sequence[uuid.UUID] = (), ocpp_ids: Sequence[str] = (), sweep: bool = False
) -> list[PortState]:
    """The ports named (by id or by their charger's identity), or with `sweep` every port that is down or has an
    open outage."""
    found: list[PortState] = []
    conditions: list[ColumnElement[bool]] = []
    if sweep:
        conditions.append(or_(_down_condition(), PortOutage.id.is_not(None)))
    conditions.extend(Evse.id.in_(part) for part in chunks(sorted(set(evse_ids))))
    conditions.extend(ChargingStation.ocpp_id.in_(part) for part in chunks(sorted(set(ocpp_ids))))
    for condition in conditions:
        found.extend(PortState(*row) for row in await session.execute(_states_query().where(condition)))
    return found


_outages = table_of(PortOutage)


def _insert_open(session: AsyncSession) -> Any:
    table = _outages
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing(index_elements=["evse_id"], index_where=PortOutage.ended_at.is_(None))


async def record(session: AsyncSession, states: Sequence[PortState], now: datetime) -> int:
    """Close and open intervals so the log matches `states`; returns the number of ports whose log changed."""
    closes: dict[uuid.UUID, datetime] = {}
    opens: list[dict[str, Any]] = []
    seen: set[uuid.UUID] = set()
    late: dict[uuid.UUID, datetime] = {}  # ports changed at a time before the days still computed from the log
    live_from = day_start(roll_target(now))
    for state in states:
        if state.evse_id in seen:
            continue
        seen.add(state.evse_id)
        down = down_of(state)
        if state.open_id is None and down is None:
            continue
        if (
            state.open_id is not None
            and down is not None
            and (down.cause, down.error_code)
            == (
                state.open_cause,
                state.open_error,
            )
        ):
            continue
        at = _changed_at(state, state.open_cause, down, now)
        if at < live_from:
            late[state.evse_id] = at
        if state.open_id is not None:
            closes[state.open_id] = at
        if down is not None:
            opens.append(
                {
                    "id": uuid.uuid4(),
                    "evse_id": state.evse_id,
                    "charging_station_id": state.station_id,
                    "location_id": state.location_id,
                    "cause": down.cause,
                    "error_code": down.error_code,
                    "ocpp_status": down.ocpp_status,
                    "started_at": at,
                    "ended_at": None,
                }
            )
    table = _outages
    # in one order in every process (rows by id, index entries by port), so two recording at once never deadlock
    for outage_id in sorted(closes):
        await session.execute(
            update(table).where(table.c.id == outage_id, table.c.ended_at.is_(None)).values(ended_at=closes[outage_id])
        )
    opens.sort(key=lambda row: row["evse_id"])
    for part in chunks(opens):
        await session.execute(_insert_open(session), list(part))
    if late:
        await reroll(session, [Evse.id.in_(sorted(late))], min(late.values()))
    return len(closes) + len(opens)


class OutageLog:
    """Keeps the outage log in step: told of changes by the live-state writer, and sweeping every port on a timer."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    async def ports_changed(
        self, session: AsyncSession, evse_ids: Sequence[uuid.UUID], ocpp_ids: Sequence[str], now: datetime
    ) -> None:
        """Inside the writer's transaction, after it wrote the statuses and connections."""
        if evse_ids or ocpp_ids:
            await record(session, await port_states(session, evse_ids=evse_ids, ocpp_ids=ocpp_ids), now)

    async def sweep(self, now: datetime | None = None) -> None:
        """Bring every port's log in step with the stored state (changes written by other paths), then roll the
        days that are over up (see `rollup`)."""
        now = now or utc_now()
        async with self._session_factory() as session, session.begin():
            changed = await record(session, await port_states(session, sweep=True), now)
        if changed:
            logger.info("outage log: %d ports brought in step with their stored state", changed)
        await roll(self._session_factory, now)


__all__ = ["DOWN_STATUSES", "SWEEP_SECONDS", "Down", "OutageLog", "PortState", "down_of", "port_states", "record"]
