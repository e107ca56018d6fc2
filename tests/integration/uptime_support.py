"""Chargers, outages and exclusions written straight into the database, for the uptime tests. Like the outage
log's and the exclusions' own writers, each write re-rolls the rolled-up days it touches."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import ChargingStation, Evse, PortOutage, UptimeExclusion
from api.domain.chargers.provisioning import add_charger
from api.domain.uptime.exclusions import covered_ports
from api.domain.uptime.rollup import reroll

Factory = async_sessionmaker[AsyncSession]


class Port:
    def __init__(self, evse_id: uuid.UUID, station_id: uuid.UUID, location_id: uuid.UUID) -> None:
        self.evse_id, self.station_id, self.location_id = evse_id, station_id, location_id


async def charger(
    factory: Factory, ocpp_id: str, *, ports: int = 2, location_id: uuid.UUID | None = None
) -> list[Port]:
    """A charger with `ports` EVSEs (at a new location unless one is given), its ports in EVSE order."""
    async with factory() as session:
        station, _ = await add_charger(
            session,
            ocpp_id=ocpp_id,
            password="a-long-charger-secret",
            country_code="NL",
            party_id="VWY",
            evses=ports,
            coordinates=(52.0, 5.0),
            location_id=location_id,
            name=f"Site {ocpp_id}",
        )
        rows = await session.execute(
            select(Evse.id, Evse.location_id).where(Evse.charging_station_id == station.id).order_by(Evse.ocpp_evse_id)
        )
        return [Port(evse_id, station.id, location) for evse_id, location in rows]


async def outage(
    factory: Factory, port: Port, start: datetime, end: datetime | None, cause: str = "fault", error: str | None = None
) -> None:
    async with factory() as session, session.begin():
        await session.execute(
            insert(PortOutage).values(
                id=uuid.uuid4(),
                evse_id=port.evse_id,
                charging_station_id=port.station_id,
                location_id=port.location_id,
                cause=cause,
                error_code=error,
                started_at=start,
                ended_at=end,
            )
        )
        await reroll(session, [Evse.id == port.evse_id], start)


async def exclusion(
    factory: Factory,
    start: datetime,
    end: datetime,
    *,
    port: Port | None = None,
    station_id: uuid.UUID | None = None,
    location_id: uuid.UUID | None = None,
    category: str = "grid_outage",
    withdrawn_at: datetime | None = None,
) -> uuid.UUID:
    exclusion_id = uuid.uuid4()
    async with factory() as session, session.begin():
        await session.execute(
            insert(UptimeExclusion).values(
                id=exclusion_id,
                evse_id=port.evse_id if port else None,
                charging_station_id=station_id,
                location_id=location_id,
                starts_at=start,
                ends_at=end,
                category=category,
                reason="test",
                created_at=start,
                withdrawn_at=withdrawn_at,
                withdrawal_reason="entered by mistake" if withdrawn_at else None,
            )
        )
        covered = covered_ports(port.evse_id if port else None, station_id, location_id)
        await reroll(session, covered, start, end)
    return exclusion_id


async def station_of(factory: Factory, ocpp_id: str) -> uuid.UUID:
    async with factory() as session:
        return (
            await session.execute(select(ChargingStation.id).where(ChargingStation.ocpp_id == ocpp_id))
        ).scalar_one()
