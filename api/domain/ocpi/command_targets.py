"""Where an OCPI command points: our location, EVSE and connector named by their OCPI ids, and the charger behind.

Only our own locations (the configured country code and party id) can be commanded; an unknown location, EVSE or
connector is a `CommandRejected` the receiver answers with CommandResponse REJECTED and the reason.
"""

from __future__ import annotations

import uuid

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import ChargingStation, Connector, Evse, Location

AVAILABLE = ("Available",)
BUSY = ("Charging", "SuspendedEV", "SuspendedEVSE", "Finishing", "Occupied", "Reserved", "Preparing")
OUT_OF_ORDER = ("Faulted", "Unavailable")


class CommandRejected(Exception):
    """The command names something we do not have (or cannot act on); the message says what."""


class Target(msgspec.Struct, frozen=True, kw_only=True):
    """An EVSE of ours with a charger: what a command needs to reach it."""

    location_id: uuid.UUID
    evse_id: uuid.UUID
    evse_uid: str
    station_id: uuid.UUID
    ocpp_id: str
    ocpp_evse_id: int
    connector_number: int = 1  # the connector within the EVSE (OCPP 2.0.1 connectorId)
    connected: bool = False
    ocpp_status: str | None = None
    status: str = "UNKNOWN"
    tariff_ids: tuple[str, ...] = ()

    @property
    def occupied(self) -> bool:
        return (self.ocpp_status or "") in BUSY or self.status in ("CHARGING", "BLOCKED", "RESERVED")

    @property
    def inoperative(self) -> bool:
        broken = (self.ocpp_status or "") in OUT_OF_ORDER or self.status in ("OUTOFORDER", "INOPERATIVE")
        return not self.connected or broken


async def our_location(session: AsyncSession, country_code: str, party_id: str, ocpi_id: str) -> Location:
    location: Location | None = (
        await session.execute(
            select(Location).where(
                Location.country_code == country_code, Location.party_id == party_id, Location.ocpi_id == ocpi_id
            )
        )
    ).scalar_one_or_none()
    if location is None:
        raise CommandRejected(f"No location {ocpi_id!r} here.")
    return location


async def find_target(
    session: AsyncSession, location: Location, evse_uid: str | None, connector_id: str | None = None
) -> Target:
    """The EVSE `evse_uid` of the location (with `connector_id` if given); without an EVSE uid, the first EVSE of
    the location that is free (or, if none is, the first with a charger)."""
    query = (
        select(Evse, ChargingStation)
        .join(ChargingStation, ChargingStation.id == Evse.charging_station_id)
        .where(Evse.location_id == location.id, Evse.ocpp_evse_id.is_not(None))
        .order_by(Evse.uid)
    )
    if evse_uid is not None:
        query = query.where(Evse.uid == evse_uid)
    rows = (await session.execute(query)).all()
    if not rows:
        what = f"EVSE {evse_uid!r}" if evse_uid is not None else "EVSE"
        raise CommandRejected(f"No {what} that can be commanded at location {location.ocpi_id!r}.")
    free = [row for row in rows if row[1].connected and (row[0].ocpp_status or "") in AVAILABLE]
    evse, station = (free or rows)[0]
    connectors = list((await session.execute(select(Connector).where(Connector.evse_id == evse.id))).scalars())
    number = 1
    if connector_id is not None:
        match = [c for c in connectors if c.connector_id == connector_id]
        if not match:
            raise CommandRejected(f"No connector {connector_id!r} at EVSE {evse.uid!r}.")
        number = int(connector_id) if connector_id.isdigit() else 1 + connectors.index(match[0])
    return Target(
        location_id=location.id,
        evse_id=evse.id,
        evse_uid=evse.uid,
        station_id=station.id,
        ocpp_id=station.ocpp_id,
        ocpp_evse_id=int(evse.ocpp_evse_id or 0),
        connector_number=number,
        connected=bool(station.connected and station.held_by),
        ocpp_status=evse.ocpp_status,
        status=evse.status,
        tariff_ids=tuple(t for c in connectors for t in (c.tariff_ids or [])),
    )
