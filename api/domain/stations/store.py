"""Writing location records to the database: idempotent upserts in batches, one revision per transaction."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime

import msgspec
from sqlalchemy import delete, insert, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import ChangeCounter, Connector, Evse, Location
from api.db.types import utc_now
from api.domain.stations.records import LocationRecord

STATIONS_COUNTER = "stations"
_encoder = msgspec.json.Encoder(order="deterministic")


class UpsertCounts(msgspec.Struct):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    evses: int = 0
    connectors: int = 0


async def bump_counter(session: AsyncSession, name: str) -> int:
    """Take the next value of a named counter; its row stays locked until this transaction ends."""
    result = await session.execute(
        update(ChangeCounter)
        .where(ChangeCounter.name == name)
        .values(revision=ChangeCounter.revision + 1)
        .returning(ChangeCounter.revision)
    )
    value = result.scalar_one_or_none()
    if value is None:
        # The first use: several transactions may get here at once, so insert-or-increment in one statement.
        dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
        upsert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = upsert(ChangeCounter).values(name=name, revision=1)
        counted = statement.on_conflict_do_update(
            index_elements=[ChangeCounter.name], set_={"revision": ChangeCounter.revision + 1}
        ).returning(ChangeCounter.revision)
        value = (await session.execute(counted)).scalar_one()
    return int(value)


async def bump_revision(session: AsyncSession) -> int:
    """Take the next catalogue revision, so every process's map picks up this transaction's changes."""
    return await bump_counter(session, STATIONS_COUNTER)


async def current_revision(session: AsyncSession) -> int:
    value = (
        await session.execute(select(ChangeCounter.revision).where(ChangeCounter.name == STATIONS_COUNTER))
    ).scalar_one_or_none()
    return int(value or 0)


def fingerprint(record: LocationRecord) -> str:
    """A digest of everything a feed says about a location, to skip rewriting what did not change.

    Timestamps are left out: feeds without them get the import time, which must not count as a change.
    """
    content = msgspec.to_builtins(record)
    content.pop("last_updated", None)
    if not content.get("publish_allowed_to"):  # so digests stored before the field existed still match
        content.pop("publish_allowed_to", None)
    for evse in content["evses"]:
        evse.pop("last_updated", None)
        for connector in evse["connectors"]:
            connector.pop("last_updated", None)
    return hashlib.blake2b(_encoder.encode(content), digest_size=16).hexdigest()


def newest_update(record: LocationRecord) -> datetime:
    """The location's last_updated as stored: OCPI has it follow its EVSEs' and connectors' (a parent is never
    older than its children), so partners filtering by date see a location whenever anything in it changed."""
    return max(
        [
            record.last_updated,
            *(evse.last_updated for evse in record.evses),
            *(connector.last_updated for evse in record.evses for connector in evse.connectors),
        ]
    )


def _location_values(record: LocationRecord, revision: int, digest: str) -> dict[str, object]:
    return {
        "source": record.source,
        "name": record.name,
        "address": record.address,
        "city": record.city,
        "postal_code": record.postal_code,
        "state": record.state,
        "country": record.country,
        "latitude": record.latitude,
        "longitude": record.longitude,
        "time_zone": record.time_zone,
        "operator_name": record.operator_name,
        "parking_type": record.parking_type,
        "facilities": list(record.facilities),
        "opening_times": msgspec.to_builtins(record.opening_times) if record.opening_times else None,
        "publish": record.publish,
        "publish_allowed_to": [msgspec.to_builtins(token) for token in record.publish_allowed_to] or None,
        "last_updated": newest_update(record),
        "revision": revision,
        "fingerprint": digest,
    }


async def upsert_locations(
    session: AsyncSession, records: Sequence[LocationRecord], revision: int, counts: UpsertCounts
) -> None:
    """Create or update one batch of locations with their EVSEs and connectors.

    EVSE rows keep their ids across updates (sessions point at them); an EVSE a feed no longer lists is
    marked REMOVED, as OCPI does, rather than deleted. EVSEs served by one of our chargers keep their live
    status whatever a feed says.
    """
    if not records:
        return
    keys = [(r.country_code, r.party_id, r.id) for r in records]
    existing_rows = (
        await session.execute(
            select(Location.id, Location.country_code, Location.party_id, Location.ocpi_id, Location.fingerprint).where(
                tuple_(Location.country_code, Location.party_id, Location.ocpi_id).in_(keys)
            )
        )
    ).all()
    existing = {(row.country_code, row.party_id, row.ocpi_id): (row.id, row.fingerprint) for row in existing_rows}

    changed: list[tuple[uuid.UUID, LocationRecord]] = []
    new_rows: list[dict[str, object]] = []
    updated_rows: list[dict[str, object]] = []
    seen: set[tuple[str, str, str]] = set()
    for record in records:
        key = (record.country_code, record.party_id, record.id)
        if key in seen:
            continue
        seen.add(key)
        digest = fingerprint(record)
        found = existing.get(key)
        if found is None:
            location_id = uuid.uuid4()
            new_rows.append(
                {
                    "id": location_id,
                    "country_code": record.country_code,
                    "party_id": record.party_id,
                    "ocpi_id": record.id,
                    **_location_values(record, revision, digest),
                }
            )
            changed.append((location_id, record))
            counts.created += 1
        elif found[1] == digest:
            counts.unchanged += 1
        else:
            updated_rows.append({"id": found[0], **_location_values(record, revision, digest)})
            changed.append((found[0], record))
            counts.updated += 1
    if new_rows:
        await session.execute(insert(Location), new_rows)
    if updated_rows:
        await session.execute(update(Location), updated_rows)  # executemany by primary key
    if changed:
        await _replace_evses(session, changed, counts)


async def _replace_evses(
    session: AsyncSession, changed: list[tuple[uuid.UUID, LocationRecord]], counts: UpsertCounts
) -> None:
    location_ids = [location_id for location_id, _ in changed]
    rows = (
        await session.execute(
            select(Evse.id, Evse.location_id, Evse.uid, Evse.charging_station_id).where(
                Evse.location_id.in_(location_ids)
            )
        )
    ).all()
    current = {(row.location_id, row.uid): (row.id, row.charging_station_id) for row in rows}
    now = utc_now()
    evse_inserts: list[dict[str, object]] = []
    reported_updates: list[dict[str, object]] = []
    live_updates: list[dict[str, object]] = []
    connector_rows: list[dict[str, object]] = []
    kept: set[uuid.UUID] = set()
    for location_id, record in changed:
        for evse in record.evses:
            values: dict[str, object] = {
                "emi3_evse_id": evse.evse_id,
                "capabilities": list(evse.capabilities),
                "physical_reference": evse.physical_reference,
                "floor_level": evse.floor_level,
                "last_updated": evse.last_updated,
            }
            found = current.get((location_id, evse.uid))
            if found is None:
                evse_id = uuid.uuid4()
                evse_inserts.append(
                    {
                        "id": evse_id,
                        "location_id": location_id,
                        "uid": evse.uid,
                        "status": evse.status,
                        "status_source": "reported",
                        "status_updated_at": evse.last_updated,
                        **values,
                    }
                )
            else:
                evse_id, station_id = found
                if station_id is None:
                    values.update(status=evse.status, status_source="reported", status_updated_at=evse.last_updated)
                    reported_updates.append({"id": evse_id, **values})
                else:  # our own charger's EVSE: its live status is not the feed's to change
                    live_updates.append({"id": evse_id, **values})
            kept.add(evse_id)
            counts.evses += 1
            for connector in evse.connectors:
                connector_rows.append(
                    {
                        "id": uuid.uuid4(),
                        "evse_id": evse_id,
                        "connector_id": connector.id,
                        "standard": connector.standard,
                        "format": connector.format,
                        "power_type": connector.power_type,
                        "max_voltage": connector.max_voltage,
                        "max_amperage": connector.max_amperage,
                        "max_electric_power": connector.max_electric_power,
                        "tariff_ids": list(connector.tariff_ids),
                        "last_updated": connector.last_updated,
                    }
                )
                counts.connectors += 1
    dropped = [evse_id for evse_id, _ in current.values() if evse_id not in kept]
    if dropped:
        # marking EVSEs REMOVED changes their locations now, whatever the feed's timestamps say
        emptied = {location_id for (location_id, _), (evse_id, _) in current.items() if evse_id not in kept}
        await session.execute(update(Location).where(Location.id.in_(emptied)).values(last_updated=now))
        await session.execute(
            update(Evse)
            .where(Evse.id.in_(dropped))
            .values(
                status="REMOVED",
                status_source="reported",
                status_updated_at=now,
                status_reported_at=None,
                last_updated=now,
            )
        )
    if evse_inserts:
        await session.execute(insert(Evse), evse_inserts)
    for updates in (reported_updates, live_updates):
        if updates:
            await session.execute(update(Evse), updates)  # executemany by primary key
    # EVSEs marked REMOVED keep their connectors: OCPI still sends them (an EVSE has at least one connector)
    existing_evses = [evse_id for evse_id, _ in current.values() if evse_id in kept]
    if existing_evses:
        await session.execute(delete(Connector).where(Connector.evse_id.in_(existing_evses)))
    if connector_rows:
        await session.execute(insert(Connector), connector_rows)


async def touch_location(session: AsyncSession, location_id: uuid.UUID, revision: int, when: datetime) -> None:
    """Record that something below a location changed: its last_updated and revision move on."""
    await session.execute(
        update(Location).where(Location.id == location_id).values(last_updated=when, revision=revision)
    )
