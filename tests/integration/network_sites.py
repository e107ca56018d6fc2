"""A small network in two regions for the network view tests: who may see what, and what runs where.

North (business unit Retail): Utrecht Station with NET-N1 (online; EVSE 1 charging for an app driver, EVSE 2
faulted with an error code) and NET-N2 (offline, model Terra); Amersfoort Mall with NET-N3 (online; an RFID
driver on EVSE 1, a transaction the charger started on its own on EVSE 2). South (business unit Highway):
Eindhoven Services with NET-S1 (online; a roaming driver's session). Operators: one per region, one without scope.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from api.db.models import ChargingSession, ChargingStation, ChargingTransaction, Evse, Location
from api.db.models.organisation import BusinessUnit, OperatorScope, Region
from api.domain.chargers.provisioning import add_charger
from tests.integration.support_desk import Client, account, user_id
from tests.support import database_session

SECRET = "network view charger secret"


@dataclass
class Sites:
    north: uuid.UUID
    south: uuid.UUID
    retail: uuid.UUID
    highway: uuid.UUID
    locations: dict[str, uuid.UUID]  # by charger id
    evses: dict[str, list[uuid.UUID]]  # by charger id, in connector order


async def _charger(session: Any, ocpp_id: str, name: str, city: str, location_id: uuid.UUID | None, evses: int) -> Any:
    station, _ = await add_charger(
        session,
        ocpp_id=ocpp_id,
        password=SECRET,
        country_code="NL",
        party_id="VWY",
        location_id=location_id,
        evses=evses,
        coordinates=(52.0, 5.0),
        name=name,
    )
    await session.flush()
    if location_id is None:
        await session.execute(update(Location).where(Location.id == station.location_id).values(city=city))
    return station


async def _evses(session: Any, station: Any) -> list[uuid.UUID]:
    rows = await session.execute(
        select(Evse.id).where(Evse.charging_station_id == station.id).order_by(Evse.ocpp_evse_id)
    )
    return list(rows.scalars())


async def build_sites(database_url: str) -> Sites:
    now = datetime.now(UTC)
    async with database_session(database_url) as session:
        north, south = Region(id=uuid.uuid4(), name="North"), Region(id=uuid.uuid4(), name="South")
        retail, highway = BusinessUnit(id=uuid.uuid4(), name="Retail"), BusinessUnit(id=uuid.uuid4(), name="Highway")
        session.add_all([north, south, retail, highway])
        n1 = await _charger(session, "NET-N1", "Utrecht Station", "Utrecht", None, 2)
        n2 = await _charger(session, "NET-N2", "Utrecht Station", "Utrecht", n1.location_id, 1)
        n3 = await _charger(session, "NET-N3", "Amersfoort Mall", "Amersfoort", None, 2)
        s1 = await _charger(session, "NET-S1", "Eindhoven Services", "Eindhoven", None, 1)
        for station, region, unit in ((n1, north, retail), (n3, north, retail), (s1, south, highway)):
            await session.execute(
                update(Location)
                .where(Location.id == station.location_id)
                .values(region_id=region.id, business_unit_id=unit.id)
            )
        for station, online, model in (
            (n1, True, "Terra AC"),
            (n2, False, "Terra"),
            (n3, True, "Wallbox"),
            (s1, True, "HPC"),
        ):
            await session.execute(
                update(ChargingStation)
                .where(ChargingStation.id == station.id)
                .values(
                    connected=online,
                    held_by="proc-1" if online else None,
                    last_seen=now - timedelta(minutes=3),
                    vendor="ABB",
                    model=model,
                    firmware_version="1.8.2",
                    ocpp_version="1.6",
                )
            )
        evses = {s.ocpp_id: await _evses(session, s) for s in (n1, n2, n3, s1)}
        statuses = {
            evses["NET-N1"][0]: ("CHARGING", "Charging", None),
            evses["NET-N1"][1]: ("OUTOFORDER", "Faulted", "GroundFailure"),
            evses["NET-N2"][0]: ("AVAILABLE", "Available", None),
            evses["NET-N3"][0]: ("CHARGING", "Charging", None),
            evses["NET-N3"][1]: ("CHARGING", "Charging", None),
            evses["NET-S1"][0]: ("CHARGING", "Charging", None),
        }
        for evse_id, (status, ocpp_status, error) in statuses.items():
            await session.execute(
                update(Evse)
                .where(Evse.id == evse_id)
                .values(status=status, ocpp_status=ocpp_status, error_code=error, status_source="live")
            )
        started = now - timedelta(minutes=30)

        def transaction(station: Any, connector: int, ocpp_tx: str, token: str, wh: float, w: float) -> Any:
            return ChargingTransaction(
                id=uuid.uuid4(),
                charging_station_id=station.id,
                evse_id=evses[station.ocpp_id][connector - 1],
                connector_id=connector,
                ocpp_transaction_id=ocpp_tx,
                id_token=token,
                started_at=started,
                energy_wh=wh,
                power_w=w,
                soc_percent=42.0,
                status="active",
            )

        app_tx = transaction(n1, 1, "101", "APPTOKEN0001", 12345.0, 22000.0)
        rfid_tx = transaction(n3, 1, "301", "04A1B2C3D4", 5000.0, 7400.0)
        own_tx = transaction(n3, 2, "302", "FREEVEND99", 800.0, 3700.0)
        roam_tx = transaction(s1, 1, "401", "DEROAM5678", 2000.0, 50000.0)
        session.add_all([app_tx, rfid_tx, own_tx, roam_tx])
        await session.flush()

        def open_session(station: Any, tx: Any, source: str, token: str, **extra: Any) -> ChargingSession:
            return ChargingSession(
                source=source,
                location_id=station.location_id,
                evse_id=tx.evse_id,
                charging_station_id=station.id,
                connector_id=tx.connector_id,
                id_token=token,
                transaction_id=tx.id,
                status="charging",
                started_at=started,
                **extra,
            )

        session.add_all(
            [
                open_session(n1, app_tx, "app", "APPTOKEN0001"),
                open_session(n3, rfid_tx, "rfid", "04A1B2C3D4"),
                open_session(
                    s1, roam_tx, "ocpi", "DEROAM5678", ocpi_cdr_token={"country_code": "DE", "party_id": "ABC"}
                ),
            ]
        )
        await session.commit()
        return Sites(
            north=north.id,
            south=south.id,
            retail=retail.id,
            highway=highway.id,
            locations={s.ocpp_id: s.location_id for s in (n1, n2, n3, s1)},
            evses=evses,
        )


async def scope_operator(database_url: str, email: str, *, region_id: uuid.UUID | None) -> None:
    async with database_session(database_url) as session:
        session.add(OperatorScope(user_id=await user_id(database_url, email), region_id=region_id))
        await session.commit()


async def operators(client: Client, database_url: str, sites: Sites) -> dict[str, dict[str, str]]:
    """Signed-in headers: `north` and `south` operators, `nowhere` (an operator without scope), `admin`, `agent`."""
    headers = {
        "north": await account(client, database_url, "north@example.com", "operator", name="Nora North"),
        "south": await account(client, database_url, "south@example.com", "operator", name="Sam South"),
        "nowhere": await account(client, database_url, "nowhere@example.com", "operator", name="Nico Nowhere"),
        "admin": await account(client, database_url, "admin@example.com", "admin", name="Ada Admin"),
        "agent": await account(client, database_url, "agent@example.com", "agent", name="Alex Agent"),
    }
    await scope_operator(database_url, "north@example.com", region_id=sites.north)
    await scope_operator(database_url, "south@example.com", region_id=sites.south)
    return headers
