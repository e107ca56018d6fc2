"""Reading our locations for OCPI a page at a time, in the database: never more rows than one page needs.

Pages are ordered by the location's OCPI id, which is unique per party and covered by the (country_code,
party_id, ocpi_id) unique index, so offsets stay stable while statuses change. A page is one statement: each
location's stored OCPI document (see `location_documents.py`) and its EVSEs' live values, read straight from the
driver (`child_rows.py`); the total and the page's first id come from the ordered ids each process keeps while
no location is added, removed or republished. A location without a current document is built from its rows on
the spot (its EVSEs and connectors in two more queries), and the upkeep stores its document again.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from weakref import WeakKeyDictionary

import msgspec
from sqlalchemy import Row, Select, String, Table, func, select, type_coerce
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from api.db.models import ChangeCounter, Location, OcpiLocationDocument
from api.domain.ocpi.child_rows import (
    connector_rows,
    document_page_rows,
    evse_rows,
    ocpi_stamp,
    prefer_indexes,
    upsert_documents,
)
from api.domain.ocpi.envelope import encode
from api.domain.ocpi.location_documents import build_document, fill_document
from api.domain.ocpi.location_objects import (
    ConnectorRow,
    EvseRow,
    LocationRow,
    OcpiConnector,
    OcpiEvse,
    OcpiLocation,
    connector_object,
    evse_object,
    location_object,
)
from api.domain.ocpi.schemas import format_datetime


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


_L = _table(Location)
LOCATION_SET_COUNTER = "ocpi-location-set"  # see the 0025 migration
_ORDERED_IDS: WeakKeyDictionary[Engine, dict[LocationScope, tuple[int, list[str]]]] = WeakKeyDictionary()
_D = _table(OcpiLocationDocument)
# a location's stored document, if it was built from what the location is now
_CURRENT_DOCUMENT = (_D.c.location_id == _L.c.id) & (_D.c.content_version == _L.c.ocpi_content_version)


def _raw(column: Any) -> Any:
    """The column as the driver returns it (no per-row type processing)."""
    return type_coerce(column, String)


_LOCATION_COLUMNS = (
    _raw(_L.c.id),
    _L.c.country_code,
    _L.c.party_id,
    _L.c.ocpi_id,
    _L.c.name,
    _L.c.address,
    _L.c.city,
    _L.c.postal_code,
    _L.c.state,
    _L.c.country,
    _L.c.latitude,
    _L.c.longitude,
    _L.c.time_zone,
    _L.c.operator_name,
    _L.c.parking_type,
    _raw(_L.c.facilities),
    _L.c.opening_times,
    _L.c.publish,
    _L.c.publish_allowed_to,
    _raw(_L.c.last_updated),
)


class LocationScope(msgspec.Struct, frozen=True):
    """Which locations a caller may page through: one party's (ours), optionally only published ones, and an
    optional [date_from, date_to) window on last_updated."""

    country_code: str
    party_id: str
    published_only: bool = False
    date_from: datetime | None = None
    date_to: datetime | None = None


class LiveStatus(msgspec.Struct, frozen=True):
    """When the objects are built, and how long a silent charger of ours still counts as heard from."""

    now: datetime
    heartbeat_window: timedelta


class _Converter:
    """Raw database values to OCPI values, each distinct value converted once (per page)."""

    def __init__(self) -> None:
        self._times: dict[object, str] = {}
        self._lists: dict[object, tuple[str, ...]] = {}

    @staticmethod
    def moment(raw: object) -> datetime:
        moment = raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment  # SQLite keeps naive UTC

    def time(self, raw: object) -> str:
        found = self._times.get(raw)
        if found is None:
            found = self._times[raw] = format_datetime(self.moment(raw))
        return found

    def strings(self, raw: object) -> tuple[str, ...]:
        if isinstance(raw, list):  # drivers that decode JSON themselves (asyncpg)
            return tuple(str(item) for item in raw)
        found = self._lists.get(raw)
        if found is None:
            value = msgspec.json.decode(raw) if isinstance(raw, str | bytes) else raw
            found = tuple(str(item) for item in value) if isinstance(value, list) else ()
            self._lists[raw] = found
        return found


def _conditions(scope: LocationScope) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [_L.c.country_code == scope.country_code, _L.c.party_id == scope.party_id]
    if scope.published_only:
        conditions.append(_L.c.publish.is_(True))
    if scope.date_from is not None:
        conditions.append(_L.c.last_updated >= scope.date_from)
    if scope.date_to is not None:
        conditions.append(_L.c.last_updated < scope.date_to)
    return conditions


async def _ordered_ids(session: AsyncSession, scope: LocationScope) -> list[str] | None:
    """The scope's location ids in page order, kept by this process for as long as the set of locations stands
    (the `ocpi-location-set` counter, moved by the database); None within a date window, which live status
    moves. Counting 50,000 ids and skipping to an offset in the index cost a crawl page more than reading it."""
    if scope.date_from is not None or scope.date_to is not None:
        return None
    version = await session.scalar(select(ChangeCounter.revision).where(ChangeCounter.name == LOCATION_SET_COUNTER))
    if version is None:
        return None
    kept = _ORDERED_IDS.setdefault((await session.connection()).engine.sync_engine, {})
    found = kept.get(scope)
    if found is not None and found[0] == version:
        return found[1]
    # read after the counter: a change committed in between is newer than `version`, so the list is refreshed at
    # the next page instead of being kept stale
    ids = list(await session.scalars(select(_L.c.ocpi_id).where(*_conditions(scope)).order_by(_L.c.ocpi_id)))
    kept[scope] = (version, ids)
    return ids


async def _children(
    session: AsyncSession, location_ids: list[Any], convert: _Converter
) -> dict[object, list[tuple[EvseRow, list[ConnectorRow]]]]:
    """EVSEs (with their connectors) of some locations, by raw location id, in uid and connector id order."""
    if not location_ids:
        return {}
    await prefer_indexes(session)
    evses = await evse_rows(session, location_ids)
    if not evses:
        return {}
    connectors: dict[object, list[ConnectorRow]] = defaultdict(list)
    strings, time = convert.strings, convert.time
    for row in await connector_rows(session, [row[0] for row in evses]):
        # positional, in ConnectorRow's field order: about 5,000 of these per page
        connectors[row[0]].append(
            ConnectorRow(row[1], row[2], row[3], row[4], row[5], row[6], row[7], strings(row[8]), time(row[9]))
        )
    children: dict[object, list[tuple[EvseRow, list[ConnectorRow]]]] = defaultdict(list)
    for row in sorted(evses, key=_by_uid):
        found = connectors.get(row[0])
        if not found:
            continue  # OCPI: an EVSE has at least one connector
        if len(found) > 1:
            found.sort(key=_by_connector_id)
        connected, last_seen = row[10], row[11]
        evse = EvseRow(
            row[2],
            row[3],
            row[4],
            strings(row[5]),
            row[6],
            row[7],
            time(row[8]),
            row[9],
            None if connected is None else bool(connected),
            None if last_seen is None else convert.moment(last_seen),
            row[0],
        )
        children[row[1]].append((evse, found))
    return children


def _by_uid(row: Any) -> str:
    return str(row[2])


def _by_connector_id(row: ConnectorRow) -> str:
    return row.connector_id


def _location_row(row: Any, convert: _Converter) -> LocationRow:
    return LocationRow(
        country_code=row[1],
        party_id=row[2],
        ocpi_id=row[3],
        name=row[4],
        address=row[5],
        city=row[6],
        postal_code=row[7],
        state=row[8],
        country=row[9],
        latitude=row[10],
        longitude=row[11],
        time_zone=row[12],
        operator_name=row[13],
        parking_type=row[14],
        facilities=convert.strings(row[15]),
        opening_times=row[16],
        publish=row[17],
        publish_allowed_to=row[18],
        last_updated=convert.time(row[19]),
    )


async def page_locations(
    session: AsyncSession, scope: LocationScope, offset: int, limit: int, live: LiveStatus
) -> tuple[int, list[msgspec.Raw]]:
    """(how many locations the scope holds, one page of them as encoded Location objects in OCPI id order):
    stored documents with their live values filled in, and any location without a current document built on the
    spot."""
    conditions = _conditions(scope)
    # The page's first id by offset (kept, or in the index alone), then the page from that id on: the same rows
    # as OFFSET/LIMIT on the whole rows, without reading the rows of every earlier page.
    ids = await _ordered_ids(session, scope)
    if ids is not None:
        total = len(ids)
        first = ids[offset] if offset < total else None
    else:
        total = int(await session.scalar(select(func.count()).select_from(_L).where(*conditions)) or 0)
        first = None
        if offset < total:
            first = await session.scalar(
                select(_L.c.ocpi_id).where(*conditions).order_by(_L.c.ocpi_id).offset(offset).limit(1)
            )
    if first is None or limit == 0:
        return total, []
    rows = await document_page_rows(
        session,
        scope.country_code,
        scope.party_id,
        first,
        limit,
        live.now - live.heartbeat_window,
        published_only=scope.published_only,
        date_from=scope.date_from,
        date_to=scope.date_to,
    )
    items: list[msgspec.Raw | None] = []
    stale: list[Any] = []
    decode = msgspec.json.decode
    stamps: dict[str, str] = {}  # stamps recur (imports, batched status writes): each converted once a page
    for location_id, last_updated, body, evses, live_evses in rows:
        filled = None
        if body:  # a current document (an empty one: none could be made for this location)
            stored = decode(evses) if isinstance(evses, str | bytes) else evses
            found: dict[str, tuple[str, str]] = {}
            for part in live_evses.split(";") if live_evses else ():
                evse_id, status, stamp = part.split(" ", 2)
                text = stamps.get(stamp)
                if text is None:
                    text = stamps[stamp] = ocpi_stamp(stamp)
                found[evse_id] = (status, text)
            own = stamps.get(last_updated)
            if own is None:
                own = stamps[last_updated] = ocpi_stamp(last_updated)
            filled = fill_document(bytes(body), stored, found, own)
        if filled is None:
            stale.append(location_id)
            items.append(None)
        else:
            items.append(msgspec.Raw(filled))
    if stale:
        dialect = (await session.connection()).dialect.name
        query = select(*_LOCATION_COLUMNS).where(_ids_in(stale, dialect)).order_by(_L.c.ocpi_id)
        built = {row[0]: msgspec.Raw(encode(location)) for row, location, _ in await _build(session, query, live)}
        items = [built.get(row[0]) if item is None else item for row, item in zip(rows, items, strict=True)]
    return total, [item for item in items if item is not None]


def _ids_in(location_ids: list[Any], dialect: str) -> ColumnElement[bool]:
    """Locations by their ids as the driver gave them: UUIDs from asyncpg, stored text from SQLite."""
    column = _L.c.id if dialect == "postgresql" else _raw(_L.c.id)
    which: ColumnElement[bool] = column.in_(location_ids)
    return which


_Built = tuple[Row[Any], OcpiLocation, list[tuple[EvseRow, list[ConnectorRow]]]]


async def _build(session: AsyncSession, query: Select[Any], live: LiveStatus) -> list[_Built]:
    """(row, Location, its EVSE and connector rows) of each location `query` (on `_LOCATION_COLUMNS` first) reads,
    built from its rows."""
    rows = (await session.execute(query)).all()
    convert = _Converter()
    children = await _children(session, [row[0] for row in rows], convert)
    built: list[_Built] = []
    for row in rows:
        evses = children.get(row[0], [])
        built.append((row, location_object(_location_row(row, convert), evses, live.now, live.heartbeat_window), evses))
    return built


async def store_location_documents(session: AsyncSession, scope: LocationScope, limit: int = 500) -> int:
    """Build and store the documents of up to `limit` of the scope's locations that have none or a stale one;
    how many were stored (0: all current). The content version is read with the rows it describes, before their
    EVSEs and connectors: a change committed in between leaves the document older than its location's version,
    so it is rebuilt, never taken for current."""
    missing = select(_D.c.location_id).where(_CURRENT_DOCUMENT).exists()
    query = select(*_LOCATION_COLUMNS, _L.c.ocpi_content_version).where(*_conditions(scope), ~missing)
    slots_only = LiveStatus(now=datetime.now(UTC), heartbeat_window=timedelta(0))  # statuses become slots anyway
    built = await _build(session, query.order_by(_L.c.ocpi_id).limit(limit), slots_only)
    if not built:
        return 0
    values = []
    for row, location, evses in built:
        try:
            document = build_document(location, evses)
            body, stored = document.body, [list(evse) for evse in document.evses]
        except ValueError:
            body, stored = b"", []  # current, but empty: this one is built on the spot at every page instead
        values.append(
            {"location_id": uuid.UUID(str(row[0])), "content_version": row[-1], "body": body, "evses": stored}
        )
    await upsert_documents(session, values)
    return len(built)


async def refresh_location_documents(
    session_factory: async_sessionmaker[AsyncSession], scope: LocationScope, batch: int = 500
) -> int:
    """Store every missing or stale document of the scope's locations, a batch per transaction, then load the
    scope's ordered ids so the next crawl page finds them kept; how many documents were stored."""
    stored = 0
    while True:
        async with session_factory() as session:
            count = await store_location_documents(session, scope, batch)
            await session.commit()
        stored += count
        if count < batch:
            break
    async with session_factory() as session:
        await _ordered_ids(session, scope)
    return stored


async def _one(
    session: AsyncSession, scope: LocationScope, location_id: str
) -> tuple[LocationRow, Sequence[tuple[EvseRow, list[ConnectorRow]]]] | None:
    conditions = [*_conditions(scope), _L.c.ocpi_id == location_id]
    row = (await session.execute(select(*_LOCATION_COLUMNS).where(*conditions))).first()
    if row is None:
        return None
    convert = _Converter()
    children = await _children(session, [row[0]], convert)
    return _location_row(row, convert), children.get(row[0], [])


async def find_location(
    session: AsyncSession, scope: LocationScope, location_id: str, live: LiveStatus
) -> OcpiLocation | None:
    found = await _one(session, scope, location_id)
    return None if found is None else location_object(found[0], found[1], live.now, live.heartbeat_window)


async def _one_evse(
    session: AsyncSession, scope: LocationScope, location_id: str, evse_uid: str
) -> tuple[LocationRow, EvseRow, list[ConnectorRow]] | None:
    found = await _one(session, scope, location_id)
    if found is None:
        return None
    location, evses = found
    for evse, connectors in evses:
        if evse.uid == evse_uid:
            return location, evse, connectors
    return None


async def find_evse(
    session: AsyncSession, scope: LocationScope, location_id: str, evse_uid: str, live: LiveStatus
) -> OcpiEvse | None:
    found = await _one_evse(session, scope, location_id, evse_uid)
    if found is None:
        return None
    location, evse, connectors = found
    return evse_object(evse, connectors, location.country, live.now, live.heartbeat_window)


async def find_connector(
    session: AsyncSession, scope: LocationScope, location_id: str, evse_uid: str, connector_id: str
) -> OcpiConnector | None:
    found = await _one_evse(session, scope, location_id, evse_uid)
    if found is None:
        return None
    location, _, connectors = found
    for connector in connectors:
        if connector.connector_id == connector_id:
            return connector_object(connector, location.country)
    return None
