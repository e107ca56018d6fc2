"""Reading our locations for OCPI a page at a time, in the database: never more rows than one page needs.

Pages are ordered by the location's OCPI id, which is unique per party and covered by the (country_code,
party_id, ocpi_id) unique index, so offsets stay stable while statuses change. Four queries per page whatever its
size: the page's first id, the page's locations (with Core), their EVSEs and their connectors (from the driver, see
`child_rows.py`). Timestamps and JSON lists are taken as the database returns them and converted once per distinct
value: a page of 1,000 locations holds about 5,000 rows, and per-row conversions are what cost.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import String, Table, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from api.db.models import Location
from api.domain.ocpi.child_rows import connector_rows, evse_rows, prefer_indexes
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
    ocpi_datetime,
)


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


_L = _table(Location)


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
            found = self._times[raw] = ocpi_datetime(self.moment(raw))
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


async def count_locations(session: AsyncSession, scope: LocationScope) -> int:
    total = await session.scalar(select(func.count()).select_from(_L).where(*_conditions(scope)))
    return int(total or 0)


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
) -> list[OcpiLocation]:
    """One page of Location objects in OCPI id order."""
    conditions = _conditions(scope)
    # The page's first id by offset (in the index alone), then the page from that id on: the same rows as
    # OFFSET/LIMIT on the whole rows, without reading the rows of every earlier page.
    first = await session.scalar(select(_L.c.ocpi_id).where(*conditions).order_by(_L.c.ocpi_id).offset(offset).limit(1))
    if first is None:
        return []
    rows = (
        await session.execute(
            select(*_LOCATION_COLUMNS).where(*conditions, _L.c.ocpi_id >= first).order_by(_L.c.ocpi_id).limit(limit)
        )
    ).all()
    convert = _Converter()
    children = await _children(session, [row[0] for row in rows], convert)
    return [
        location_object(_location_row(row, convert), children.get(row[0], ()), live.now, live.heartbeat_window)
        for row in rows
    ]


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
