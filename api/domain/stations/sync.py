"""Keeping each process's station catalogue in step with the database.

Every writer bumps the `stations` change counter once per transaction and stamps the rows it touched
with that revision. A process polls the counter (one tiny query a second); when it moved, it loads the
locations whose revision is newer than the one it holds. Because the counter row is locked until the
writer commits, revisions become visible in order and nothing is skipped.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import ChargingStation, Connector, Evse, Location, Tariff
from api.domain.stations.catalog import ConnectorEntry, EvseEntry, StationCatalog, StationLink, location_entry
from api.domain.stations.records import OpeningHours
from api.domain.stations.store import current_revision
from api.periodic import Periodic

logger = logging.getLogger(__name__)

CHUNK = 900  # stays under SQLite's bound-parameter limit


class TariffDocument(msgspec.Struct, frozen=True):
    country_code: str
    party_id: str
    tariff_id: str
    document: str
    revision: int


TariffListener = Callable[[Sequence[TariffDocument]], None]


LOCATION_COLUMNS = [
    Location.__table__.c[name]
    for name in (
        "id",
        "country_code",
        "party_id",
        "ocpi_id",
        "name",
        "address",
        "city",
        "postal_code",
        "state",
        "country",
        "latitude",
        "longitude",
        "time_zone",
        "operator_name",
        "parking_type",
        "facilities",
        "opening_times",
        "publish",
        "last_updated",
        "revision",
    )
]
EVSE_COLUMNS = [
    Evse.__table__.c[name]
    for name in (
        "id",
        "location_id",
        "uid",
        "emi3_evse_id",
        "status",
        "status_source",
        "status_reason",
        "status_updated_at",
        "capabilities",
        "physical_reference",
        "floor_level",
        "charging_station_id",
        "last_updated",
    )
]
CONNECTOR_COLUMNS = [
    Connector.__table__.c[name]
    for name in (
        "evse_id",
        "connector_id",
        "standard",
        "format",
        "power_type",
        "max_voltage",
        "max_amperage",
        "max_electric_power",
        "tariff_ids",
        "last_updated",
    )
]


def _chunks(items: list[uuid.UUID]) -> list[list[uuid.UUID]]:
    return [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]


async def _load_evses(session: AsyncSession, location_ids: list[uuid.UUID] | None) -> dict[uuid.UUID, list[EvseEntry]]:
    # Plain rows, not ORM objects: a start-up load reads every EVSE and connector of the network.
    evse_query = select(*EVSE_COLUMNS)
    connector_query = select(*CONNECTOR_COLUMNS)
    evse_rows: list[Any] = []
    connector_rows: list[Any] = []
    if location_ids is None:
        evse_rows = list((await session.execute(evse_query)).all())
        connector_rows = list((await session.execute(connector_query)).all())
    else:
        for chunk in _chunks(location_ids):
            batch = list((await session.execute(evse_query.where(Evse.location_id.in_(chunk)))).all())
            evse_rows.extend(batch)
            for evse_chunk in _chunks([e.id for e in batch]):
                connector_rows.extend(
                    (await session.execute(connector_query.where(Connector.evse_id.in_(evse_chunk)))).all()
                )
    connectors: dict[uuid.UUID, list[ConnectorEntry]] = defaultdict(list)
    for row in connector_rows:
        connectors[row.evse_id].append(
            ConnectorEntry(
                connector_id=row.connector_id,
                standard=row.standard,
                format=row.format,
                power_type=row.power_type,
                max_voltage=row.max_voltage,
                max_amperage=row.max_amperage,
                max_electric_power=row.max_electric_power,
                tariff_ids=tuple(row.tariff_ids or ()),
                last_updated=row.last_updated,
            )
        )
    evses: dict[uuid.UUID, list[EvseEntry]] = defaultdict(list)
    for evse in evse_rows:
        evses[evse.location_id].append(
            EvseEntry(
                id=evse.id,
                uid=evse.uid,
                emi3_evse_id=evse.emi3_evse_id,
                status=evse.status,
                status_source=evse.status_source,
                status_updated_at=evse.status_updated_at,
                capabilities=tuple(evse.capabilities or ()),
                physical_reference=evse.physical_reference,
                floor_level=evse.floor_level,
                charging_station_id=evse.charging_station_id,
                connectors=tuple(sorted(connectors.get(evse.id, ()), key=lambda c: c.connector_id)),
                last_updated=evse.last_updated,
                status_reason=evse.status_reason,
            )
        )
    return evses


async def load_into(catalog: StationCatalog, session: AsyncSession, since: int) -> list[TariffDocument]:
    """Apply every location (and charger) changed after revision `since`; returns the changed tariffs."""
    target = await current_revision(session)
    if target <= since and since > 0:
        return []
    query = select(*LOCATION_COLUMNS)
    if since:
        query = query.where(Location.revision > since)
    locations = list((await session.execute(query)).all())
    ids = [location.id for location in locations]
    evses = await _load_evses(session, None if since == 0 else ids)
    station_query = select(ChargingStation)
    stations = []
    if since == 0:
        stations = list((await session.execute(station_query)).scalars())
    else:
        for chunk in _chunks(ids):
            stations.extend(
                (await session.execute(station_query.where(ChargingStation.location_id.in_(chunk)))).scalars()
            )
    for station in stations:
        catalog.put_station(
            station.id, StationLink(ocpp_id=station.ocpp_id, connected=station.connected, last_seen=station.last_seen)
        )
    for location in locations:
        opening = msgspec.convert(location.opening_times, OpeningHours) if location.opening_times else None
        catalog.put(
            location_entry(
                location_id=location.id,
                country_code=location.country_code,
                party_id=location.party_id,
                ocpi_id=location.ocpi_id,
                name=location.name,
                address=location.address,
                city=location.city,
                postal_code=location.postal_code,
                state=location.state,
                country=location.country,
                latitude=location.latitude,
                longitude=location.longitude,
                time_zone=location.time_zone,
                operator_name=location.operator_name,
                parking_type=location.parking_type,
                facilities=tuple(location.facilities or ()),
                opening_times=opening,
                publish=location.publish,
                evses=tuple(sorted(evses.get(location.id, ()), key=lambda e: e.uid)),
                last_updated=location.last_updated,
                revision=location.revision,
            )
        )
    tariff_query = select(Tariff).where(Tariff.revision > since) if since else select(Tariff)
    tariffs = [
        TariffDocument(
            country_code=t.country_code,
            party_id=t.party_id,
            tariff_id=t.tariff_id,
            document=t.document,
            revision=t.revision,
        )
        for t in (await session.execute(tariff_query)).scalars()
    ]
    catalog.revision = max(target, catalog.revision)
    return tariffs


async def refresh_connectivity(catalog: StationCatalog, session: AsyncSession) -> None:
    """Heartbeats move `last_seen` without a revision; read them for every charger now and then."""
    rows = (
        await session.execute(
            select(ChargingStation.id, ChargingStation.ocpp_id, ChargingStation.connected, ChargingStation.last_seen)
        )
    ).all()
    for row in rows:
        catalog.put_station(row.id, StationLink(ocpp_id=row.ocpp_id, connected=row.connected, last_seen=row.last_seen))


class CatalogSync:
    """Loads the catalogue at start-up and keeps it current while the process runs."""

    def __init__(
        self,
        catalog: StationCatalog,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        poll_seconds: float,
        connectivity_seconds: float = 10.0,
        on_tariffs: TariffListener | None = None,
    ) -> None:
        self.catalog = catalog
        self._session_factory = session_factory
        self._poll_seconds = poll_seconds
        self._connectivity_seconds = connectivity_seconds
        self._on_tariffs = on_tariffs
        self._timer = Periodic("station-catalogue-sync", poll_seconds, self._tick)
        self._since_connectivity = 0.0
        self._lock = asyncio.Lock()
        self.loaded_at: datetime | None = None

    async def refresh(self) -> None:
        """Apply whatever changed since the catalogue's revision (also called right after our own writes)."""
        async with self._lock, self._session_factory() as session:
            tariffs = await load_into(self.catalog, session, self.catalog.revision)
        if tariffs and self._on_tariffs is not None:
            self._on_tariffs(tariffs)

    async def _tick(self) -> None:
        await self.refresh()
        self._since_connectivity += self._poll_seconds
        if self._since_connectivity >= self._connectivity_seconds:
            self._since_connectivity = 0.0
            async with self._session_factory() as session:
                await refresh_connectivity(self.catalog, session)

    async def start(self) -> None:
        """Load what the database holds now; when it is unreachable, serve an empty map and keep trying."""
        try:
            await self.refresh()
        except Exception:
            logger.exception("station catalogue could not be loaded at start-up; retrying in the background")
        self._timer.start()

    async def stop(self) -> None:
        await self._timer.stop()
