"""What the map shows about our own chargers, buffered and written in batches.

Connector statuses, which process holds each charger's socket (online/offline), boot details and fault log
entries arrive thousands a second during a reconnect storm. Written one by one, each would be a write
transaction bumping the single catalogue revision row. Here they are kept in memory (the latest status per
EVSE, the latest connection change per charger) and written every `flush_seconds` in ONE transaction: Core
executemany statements, one revision bump, each touched location stamped once.

Every writer of `charging_stations` (this writer, the backend's last-seen writer, the relay's bookkeeping) first
locks the rows it will change with `lock_stations`, in primary-key order, before any other row: two writers then
never wait on each other in a circle, so they cannot deadlock.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, Final, NamedTuple

from sqlalchemy import ColumnElement, Table, and_, bindparam, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.base import Base
from api.db.models import ChargerLogEntry, ChargingStation, Evse, Location
from api.db.types import utc_now
from api.domain.stations.store import bump_revision
from api.periodic import Periodic

logger = logging.getLogger(__name__)

FLUSH_SECONDS: Final = 0.25  # the catalogue polls every second: a change reaches the map within about a second
CHUNK: Final = 500  # ids per IN list, well under every driver's parameter limit

# an EVSE as stored: (status_reported_at, status_source, (status, ocpp_status, error_code))
_Current = tuple[datetime | None, str, tuple[str, str | None, str | None]]
# an EVSE a work order holds out of service keeps that status until the work order gives it back
HELD: Final = "maintenance"
StatusHook = Callable[[AsyncSession, list[tuple[uuid.UUID, str]], datetime], Awaitable[None]]
# (session, EVSE ids whose status was written, OCPP ids whose connection was written, the flush's time)
PortsHook = Callable[[AsyncSession, list[uuid.UUID], list[str], datetime], Awaitable[None]]


class StoredLink(NamedTuple):
    """A charger's connection change as a flush committed it."""

    ocpp_id: str
    location_id: uuid.UUID
    connected: bool
    held_by: str | None
    at: datetime
    ocpp_version: str | None


class StoredStatus(NamedTuple):
    """An EVSE's new status or error as a flush committed it."""

    evse_id: uuid.UUID
    location_id: uuid.UUID
    status: str
    ocpp_status: str | None
    error_code: str | None
    at: datetime


StoredHook = Callable[[list[StoredLink], list[StoredStatus]], None]


def table_of(model: type[Base]) -> Table:
    """The Core table of a mapped class, for statements that skip the ORM."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


_stations = table_of(ChargingStation)
_evses = table_of(Evse)
_locations = table_of(Location)
_log = table_of(ChargerLogEntry)

_STATUS_UPDATE = (
    update(_evses)
    .where(
        _evses.c.id == bindparam("b_id"),
        # a newer report of the same charger written meanwhile (by another process) wins, as it would one by one;
        # times the server stamped (provisioning, imports) are never compared with the charger's
        or_(_evses.c.status_reported_at.is_(None), _evses.c.status_reported_at <= bindparam("b_at")),
        _evses.c.status_source != HELD,
    )
    .values(
        status=bindparam("b_status"),
        ocpp_status=bindparam("b_ocpp_status"),
        error_code=bindparam("b_error"),
        status_source="live",
        status_reported_at=bindparam("b_at"),
        status_updated_at=bindparam("b_at"),
        last_updated=bindparam("b_now"),
    )
)
_STATUS_SEEN = (
    update(_evses)
    .where(
        _evses.c.id == bindparam("b_id"),
        or_(_evses.c.status_reported_at.is_(None), _evses.c.status_reported_at < bindparam("b_at")),
    )
    .values(status_reported_at=bindparam("b_at"), status_updated_at=bindparam("b_at"))
)
_BOOT_UPDATE = (
    update(_stations)
    .where(_stations.c.id == bindparam("b_id"))
    .values(
        vendor=bindparam("b_vendor"),
        model=bindparam("b_model"),
        firmware_version=bindparam("b_firmware"),
        serial_number=bindparam("b_serial"),
        ocpp_version=bindparam("b_version"),
        last_seen=bindparam("b_seen"),
    )
)


class _Status:
    __slots__ = ("at", "error_code", "evse_id", "location_id", "ocpp_status", "status")

    def __init__(
        self, evse_id: uuid.UUID, location_id: uuid.UUID, status: str, ocpp_status: str, error: str | None, at: datetime
    ) -> None:
        self.evse_id = evse_id
        self.location_id = location_id
        self.status = status
        self.ocpp_status = ocpp_status
        self.error_code = error
        self.at = at


class _Fault:
    __slots__ = ("at", "detail", "evse_id", "kind", "station_id")

    def __init__(
        self, station_id: uuid.UUID, evse_id: uuid.UUID | None, kind: str, at: datetime, detail: dict[str, Any]
    ) -> None:
        self.station_id = station_id
        self.evse_id = evse_id
        self.kind = kind
        self.at = at
        self.detail = detail


class _Link:
    """The latest connection change of one charger in this process."""

    __slots__ = ("held", "ocpp_version", "process_id")

    def __init__(self, process_id: str, *, held: bool, ocpp_version: str | None) -> None:
        self.process_id = process_id
        self.held = held
        self.ocpp_version = ocpp_version


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def touch_locations(
    session: AsyncSession, location_ids: Iterable[uuid.UUID], revision: int, when: datetime
) -> None:
    """`store.touch_location` for many locations at once: each stamped once, in one lock order."""
    ordered = sorted(set(location_ids))
    for part in chunks(ordered):
        await session.execute(
            update(_locations).where(_locations.c.id.in_(part)).values(last_updated=when, revision=revision)
        )


async def lock_stations(session: AsyncSession, station_ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    """Lock charging-station rows in primary-key order (PostgreSQL; SQLite has one writer at a time anyway).

    PostgreSQL locks the rows of a `SELECT ... ORDER BY ... FOR UPDATE` in that order, and ascending chunks of a
    sorted list keep it across chunks. Returns the ids, sorted."""
    ordered = sorted(set(station_ids))
    for part in chunks(ordered):
        await session.execute(
            select(_stations.c.id).where(_stations.c.id.in_(part)).order_by(_stations.c.id).with_for_update()
        )
    return ordered


class LiveStateWriter:
    """Buffers live charger state and writes it every `flush_seconds` (and on stop) in one transaction.

    While it is not running (before `start`, after `stop`) nothing flushes it; callers then write directly.
    """

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], *, flush_seconds: float = FLUSH_SECONDS):
        self._session_factory = session_factory
        self._statuses: dict[uuid.UUID, _Status] = {}
        self._faults: list[_Fault] = []
        self._links: dict[str, _Link] = {}
        self._boots: dict[uuid.UUID, dict[str, Any]] = {}
        self._lock = asyncio.Lock()
        self._timer = Periodic("live-state-writer", flush_seconds, self.flush)
        self._running = False
        self.flushes = 0
        # told, inside the flush's transaction, which EVSEs changed OCPI status (id, status) and the flush's time
        self.on_status_changed: StatusHook | None = None
        # told after each flush's commit what it changed, for live views; must return at once and not raise
        self.on_stored: StoredHook | None = None
        # told, inside the same transaction, of every status and connection written (the outage log)
        self.on_ports_changed: PortsHook | None = None

    @property
    def running(self) -> bool:
        return self._running

    @property
    def pending(self) -> int:
        return len(self._statuses) + len(self._faults) + len(self._links) + len(self._boots)

    async def start(self) -> None:
        self._running = True
        self._timer.start()

    async def stop(self) -> None:
        """Stop the timer and write what is buffered."""
        self._running = False
        await self._timer.stop()
        await self.flush()

    # ----- what callers report ----------------------------------------------------------------------

    def status(
        self,
        *,
        station_id: uuid.UUID,
        evse_id: uuid.UUID,
        location_id: uuid.UUID,
        status: str,
        ocpp_status: str,
        error_code: str | None,
        at: datetime,
        fault: dict[str, Any] | None = None,
    ) -> None:
        """A connector status that happened at `at` (the charger's stamp placed on our timeline, see `clock.py`);
        an older one than already buffered is a replay."""
        pending = self._statuses.get(evse_id)
        if pending is not None and pending.at > at:
            return
        self._statuses[evse_id] = _Status(evse_id, location_id, status, ocpp_status, error_code, at)
        if fault is not None:
            self._faults.append(_Fault(station_id, evse_id, "ConnectorFault", at, fault))

    def charger_fault(self, station_id: uuid.UUID, at: datetime, detail: dict[str, Any]) -> None:
        self._faults.append(_Fault(station_id, None, "ChargerFault", at, detail))

    def attached(self, ocpp_id: str, process_id: str, ocpp_version: str) -> None:
        self._links[ocpp_id] = _Link(process_id, held=True, ocpp_version=ocpp_version)

    def detached(self, ocpp_id: str, process_id: str) -> None:
        self._links[ocpp_id] = _Link(process_id, held=False, ocpp_version=None)

    def booted(
        self,
        station_id: uuid.UUID,
        *,
        vendor: str,
        model: str,
        firmware_version: str | None,
        serial_number: str | None,
        ocpp_version: str,
        at: datetime,
    ) -> None:
        self._boots[station_id] = {
            "b_id": station_id,
            "b_vendor": vendor,
            "b_model": model,
            "b_firmware": firmware_version,
            "b_serial": serial_number,
            "b_version": ocpp_version,
            "b_seen": at,
        }

    # ----- writing ------------------------------------------------------------------------------------

    async def flush(self) -> None:
        """Write what is buffered; on failure it goes back into the buffer (newer changes kept) for the next try."""
        async with self._lock:
            if not (self._statuses or self._faults or self._links or self._boots):
                return
            statuses, self._statuses = self._statuses, {}
            faults, self._faults = self._faults, []
            links, self._links = self._links, {}
            boots, self._boots = self._boots, {}
            try:
                stored = await self._write(statuses, faults, links, boots)
            except Exception:
                for evse_id, old in statuses.items():
                    newer = self._statuses.get(evse_id)
                    if newer is None or newer.at < old.at:
                        self._statuses[evse_id] = old
                self._faults[:0] = faults
                for ocpp_id, link in links.items():
                    self._links.setdefault(ocpp_id, link)
                for station_id, boot in boots.items():
                    self._boots.setdefault(station_id, boot)
                raise
            self.flushes += 1
        if self.on_stored is not None and (stored[0] or stored[1]):
            try:
                self.on_stored(*stored)
            except Exception:
                logger.exception("a live view could not take the stored changes")

    async def _write(
        self,
        statuses: dict[uuid.UUID, _Status],
        faults: list[_Fault],
        links: dict[str, _Link],
        boots: dict[uuid.UUID, dict[str, Any]],
    ) -> tuple[list[StoredLink], list[StoredStatus]]:
        now = utc_now()
        async with self._session_factory() as session, session.begin():
            if links or boots:
                await lock_stations(session, [*await self._station_ids(session, links), *boots])
            current = await self._current(session, list(statuses)) if statuses or faults else {}
            changed: list[dict[str, Any]] = []
            moved: list[tuple[uuid.UUID, str]] = []  # a different status than shown (not only a new detail)
            seen: list[dict[str, Any]] = []
            touched: set[uuid.UUID] = set()
            stored: list[StoredStatus] = []
            stored_links: list[StoredLink] = []
            for evse_id, pending in statuses.items():
                row = current.get(evse_id)
                if row is None:
                    continue  # the EVSE is gone
                reported_at, source, shown = row
                if source == HELD:
                    continue  # under maintenance: the work order's hold stands; its release restores a status
                live = source == "live"
                if reported_at is not None and reported_at > pending.at:
                    continue  # a replayed, older report of the charger must not overwrite a newer one
                if live and shown == (pending.status, pending.ocpp_status, pending.error_code):
                    if reported_at is None or pending.at > reported_at:  # later replays are measured against it
                        seen.append({"b_id": evse_id, "b_at": pending.at})
                    continue
                changed.append(
                    {
                        "b_id": evse_id,
                        "b_at": pending.at,
                        "b_status": pending.status,
                        "b_ocpp_status": pending.ocpp_status,
                        "b_error": pending.error_code,
                        "b_now": now,
                    }
                )
                if not live or shown[0] != pending.status:
                    moved.append((evse_id, pending.status))
                touched.add(pending.location_id)
                stored.append(
                    StoredStatus(
                        evse_id,
                        pending.location_id,
                        pending.status,
                        pending.ocpp_status,
                        pending.error_code,
                        pending.at,
                    )
                )
            log_rows = [
                {"charging_station_id": f.station_id, "kind": f.kind, "at": f.at, "detail": f.detail}
                for f in faults
                if f.evse_id is None or self._not_replayed(current.get(f.evse_id), f.at)
            ]
            revision = await bump_revision(session) if changed or links else None
            # executemany in pieces: the event loop serves messages between them
            for part in chunks(changed):
                await session.execute(_STATUS_UPDATE, part)
            for part in chunks(seen):
                await session.execute(_STATUS_SEEN, part)
            if links:
                stored_links = await self._write_links(session, links, now)
                touched.update(link.location_id for link in stored_links)
            for part in chunks([boots[station_id] for station_id in sorted(boots)]):
                await session.execute(_BOOT_UPDATE, part)
            for part in chunks(log_rows):
                await session.execute(insert(_log), part)
            if revision is not None and touched:
                await touch_locations(session, touched, revision, now)
            if moved and self.on_status_changed is not None:
                await self.on_status_changed(session, moved, now)
            if (changed or links) and self.on_ports_changed is not None:
                await self.on_ports_changed(session, [row["b_id"] for row in changed], sorted(links), now)
        return stored_links, stored

    @staticmethod
    def _not_replayed(row: _Current | None, at: datetime) -> bool:
        """A fault is logged once: not again when its report comes back (same or older charger time)."""
        return row is not None and (row[0] is None or row[0] < at)

    @staticmethod
    async def _current(session: AsyncSession, evse_ids: list[uuid.UUID]) -> dict[uuid.UUID, _Current]:
        """(status_reported_at, live, (status, ocpp_status, error_code)) of each EVSE as stored now."""
        found: dict[uuid.UUID, _Current] = {}
        columns = _evses.c
        for part in chunks(sorted(evse_ids)):
            rows = await session.execute(
                select(
                    columns.id,
                    columns.status_source,
                    columns.status_reported_at,
                    columns.status,
                    columns.ocpp_status,
                    columns.error_code,
                ).where(columns.id.in_(part))
            )
            for row in rows:
                found[row[0]] = (row[2], row[1], (row[3], row[4], row[5]))
        return found

    @staticmethod
    async def _station_ids(session: AsyncSession, links: dict[str, _Link]) -> list[uuid.UUID]:
        """The primary keys of the chargers whose connection changed, read without locking."""
        found: list[uuid.UUID] = []
        for part in chunks(sorted(links)):
            found.extend((await session.execute(select(_stations.c.id).where(_stations.c.ocpp_id.in_(part)))).scalars())
        return found

    @staticmethod
    async def _write_links(session: AsyncSession, links: dict[str, _Link], now: datetime) -> list[StoredLink]:
        """Attach: held by the process, online. Detach: offline, only where that process still holds it."""
        groups: dict[tuple[str, bool, str | None], list[str]] = {}
        for ocpp_id, link in links.items():
            groups.setdefault((link.process_id, link.held, link.ocpp_version), []).append(ocpp_id)
        written: list[StoredLink] = []
        for (process_id, held, ocpp_version), ocpp_ids in groups.items():
            values: dict[str, Any]
            if held:
                values = {"held_by": process_id, "connected": True, "last_seen": now, "ocpp_version": ocpp_version}
            else:
                values = {"held_by": None, "connected": False, "last_seen": now}
            for part in chunks(sorted(ocpp_ids)):
                condition: ColumnElement[bool] = _stations.c.ocpp_id.in_(part)
                if not held:
                    condition = and_(condition, _stations.c.held_by == process_id)
                result = await session.execute(
                    update(_stations)
                    .where(condition)
                    .values(**values)
                    .returning(_stations.c.ocpp_id, _stations.c.location_id)
                )
                written.extend(
                    StoredLink(ocpp_id, location_id, held, process_id if held else None, now, ocpp_version)
                    for ocpp_id, location_id in result
                )
        return written


__all__ = [
    "FLUSH_SECONDS",
    "LiveStateWriter",
    "StoredLink",
    "StoredStatus",
    "chunks",
    "lock_stations",
    "table_of",
    "touch_locations",
]
