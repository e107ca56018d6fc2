"""Reading our locations for OCPI a page at a time, in the database: never more rows than one page needs.

Pages are ordered by the location's OCPI id, which is unique per party and covered by the (country_code,
party_id, ocpi_id) unique index, so offsets stay stable while statuses change. Three queries per page, whatever
its size: the locations, their EVSEs (with the connectivity of our chargers behind them), their connectors.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

import msgspec
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from api.db.models import ChargingStation, Connector, Evse, Location
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

_LOCATION_COLUMNS = (
    Location.id,
    Location.country_code,
    Location.party_id,
    Location.ocpi_id,
    Location.name,
    Location.address,
    Location.city,
    Location.postal_code,
    Location.state,
    Location.country,
    Location.latitude,
    Location.longitude,
    Location.time_zone,
    Location.operator_name,
    Location.parking_type,
    Location.facilities,
    Location.opening_times,
    Location.publish,
    Location.publish_allowed_to,
    Location.last_updated,
)
_EVSE_COLUMNS = (
    Evse.id,
    Evse.location_id,
    Evse.uid,
    Evse.emi3_evse_id,
    Evse.status,
    Evse.capabilities,
    Evse.physical_reference,
    Evse.floor_level,
    Evse.last_updated,
    Evse.charging_station_id,
    ChargingStation.connected,
    ChargingStation.last_seen,
)
_CONNECTOR_COLUMNS = (
    Connector.evse_id,
    Connector.connector_id,
    Connector.standard,
    Connector.format,
    Connector.power_type,
    Connector.max_voltage,
    Connector.max_amperage,
    Connector.max_electric_power,
    Connector.tariff_ids,
    Connector.last_updated,
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


def _conditions(scope: LocationScope) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        Location.country_code == scope.country_code,
        Location.party_id == scope.party_id,
    ]
    if scope.published_only:
        conditions.append(Location.publish.is_(True))
    if scope.date_from is not None:
        conditions.append(Location.last_updated >= scope.date_from)
    if scope.date_to is not None:
        conditions.append(Location.last_updated < scope.date_to)
    return conditions


async def count_locations(session: AsyncSession, scope: LocationScope) -> int:
    total = await session.scalar(select(func.count()).select_from(Location).where(*_conditions(scope)))
    return int(total or 0)


def _evse_query() -> Select[tuple[object, ...]]:
    return select(*_EVSE_COLUMNS).outerjoin(ChargingStation, ChargingStation.id == Evse.charging_station_id)


async def _children(
    session: AsyncSession, location_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[EvseRow, list[ConnectorRow]]]]:
    """The EVSEs of some locations with their connectors, both in a stable order (EVSE uid, connector id)."""
    if not location_ids:
        return {}
    evse_rows = (
        await session.execute(_evse_query().where(Evse.location_id.in_(location_ids)).order_by(Evse.uid))
    ).all()
    connector_rows = (
        await session.execute(
            select(*_CONNECTOR_COLUMNS)
            .join(Evse, Evse.id == Connector.evse_id)
            .where(Evse.location_id.in_(location_ids))
            .order_by(Connector.connector_id)
        )
    ).all()
    connectors: dict[uuid.UUID, list[ConnectorRow]] = defaultdict(list)
    for row in connector_rows:
        connectors[row[0]].append(ConnectorRow(*row))
    children: dict[uuid.UUID, list[tuple[EvseRow, list[ConnectorRow]]]] = defaultdict(list)
    for row in evse_rows:
        evse = EvseRow(*row)
        children[evse.location_id].append((evse, connectors.get(evse.id, [])))
    return children


async def page_locations(
    session: AsyncSession, scope: LocationScope, offset: int, limit: int, live: LiveStatus
) -> list[OcpiLocation]:
    """One page of Location objects in OCPI id order."""
    rows = (
        await session.execute(
            select(*_LOCATION_COLUMNS).where(*_conditions(scope)).order_by(Location.ocpi_id).offset(offset).limit(limit)
        )
    ).all()
    locations = [LocationRow(*row) for row in rows]
    children = await _children(session, [location.id for location in locations])
    return [
        location_object(location, children.get(location.id, []), live.now, live.heartbeat_window)
        for location in locations
    ]


async def _location_row(session: AsyncSession, scope: LocationScope, location_id: str) -> LocationRow | None:
    row = (
        await session.execute(select(*_LOCATION_COLUMNS).where(*_conditions(scope), Location.ocpi_id == location_id))
    ).first()
    return None if row is None else LocationRow(*row)


async def find_location(
    session: AsyncSession, scope: LocationScope, location_id: str, live: LiveStatus
) -> OcpiLocation | None:
    location = await _location_row(session, scope, location_id)
    if location is None:
        return None
    children = await _children(session, [location.id])
    return location_object(location, children.get(location.id, []), live.now, live.heartbeat_window)


async def find_evse(
    session: AsyncSession, scope: LocationScope, location_id: str, evse_uid: str, live: LiveStatus
) -> OcpiEvse | None:
    location = await _location_row(session, scope, location_id)
    if location is None:
        return None
    for evse, connectors in (await _children(session, [location.id])).get(location.id, []):
        if evse.uid == evse_uid:
            return evse_object(evse, connectors, location.country, live.now, live.heartbeat_window)
    return None


async def find_connector(
    session: AsyncSession, scope: LocationScope, location_id: str, evse_uid: str, connector_id: str
) -> OcpiConnector | None:
    location = await _location_row(session, scope, location_id)
    if location is None:
        return None
    for evse, connectors in (await _children(session, [location.id])).get(location.id, []):
        if evse.uid == evse_uid:
            for connector in connectors:
                if connector.connector_id == connector_id:
                    return connector_object(connector, location.country)
    return None
