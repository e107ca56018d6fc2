"""Provisioning chargers and RFID tokens: only chargers we know, with their secret, may connect."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import ChargingStation, Connector, Evse, IdTokenRecord, Location, User
from api.db.types import utc_now
from api.domain.chargers.clock import describe_offset
from api.domain.chargers.credentials import hash_charger_secret
from api.domain.chargers.live_writer import chunks as _chunks
from api.domain.chargers.live_writer import table_of, touch_locations
from api.domain.stations.records import CONNECTOR_STANDARDS
from api.domain.stations.store import bump_revision, touch_location
from api.schema import AppStruct

_STATIONS = table_of(ChargingStation)
_EVSES = table_of(Evse)
_ATTACH_EVSE = (
    update(_EVSES)
    .where(_EVSES.c.id == bindparam("b_id"))
    .values(charging_station_id=bindparam("b_station"), ocpp_evse_id=1, status="UNKNOWN", status_source="live")
)
DC_STANDARDS = frozenset({"IEC_62196_T2_COMBO", "IEC_62196_T1_COMBO", "CHADEMO", "GBT_DC", "CHAOJI"})


class ProvisioningError(ValueError):
    """A provisioning request that cannot be carried out; the message says why."""


class ChargerSummary(AppStruct):
    """One of our chargers as operators see it (also the admin API's shape)."""

    ocpp_id: str
    location_id: uuid.UUID
    location_name: str | None
    evses: int
    connected: bool
    last_seen: datetime | None
    vendor: str | None
    model: str | None
    ocpp_version: str | None
    held_by: str | None
    # its clock minus ours in seconds (positive: ahead), estimated from its timestamps; None until it sent one
    clock_offset_seconds: float | None = None
    clock: str = "unknown"  # the same in words: "in sync", "2 h 0 min behind", "3 d 0 h ahead"
    # accepted, pending (onboarded, waiting for approval) or blocked: how its BootNotification is answered
    registration_status: str = "accepted"
    # a password rotation under way: sent, accepted (by the charger) or unconfirmed; None when there is none
    password_rotation: str | None = None


def connector_electrics(standard: str, max_power_kw: Decimal) -> tuple[str, str, int, int, int]:
    """(format, power_type, voltage, amperage, watts) that fit a standard and a power."""
    watts = int(max_power_kw * 1000)
    if standard in DC_STANDARDS:
        voltage = 920 if watts > 150_000 else 500
        return "CABLE", "DC", voltage, max(1, round(watts / voltage)), watts
    # OCPI wants line-to-neutral voltage for three-phase AC.
    return "SOCKET", "AC_3_PHASE", 230, max(1, round(watts / (230 * 3))), watts


async def add_charger(
    session: AsyncSession,
    *,
    ocpp_id: str,
    password: str,
    country_code: str,
    party_id: str,
    location_id: uuid.UUID | None = None,
    evses: int = 1,
    standard: str = "IEC_62196_T2",
    max_power_kw: Decimal = Decimal(22),
    tariff_id: str | None = None,
    coordinates: tuple[float, float] | None = None,
    name: str | None = None,
    time_zone: str = "Europe/Amsterdam",
    country: str = "NLD",
) -> tuple[ChargingStation, bool]:
    """Create a charger with its EVSEs and connectors, or change the secret of one that exists.

    Without a location a new one is made; without coordinates it stays unpublished (off the map) until
    an operator places it. Returns the station and whether it was created.
    """
    if standard not in CONNECTOR_STANDARDS:
        raise ProvisioningError(f"unknown connector standard {standard!r}")
    if not 1 <= evses <= 64:
        raise ProvisioningError("a charger has between 1 and 64 EVSEs")
    if not Decimal(1) <= max_power_kw <= Decimal(1000):
        raise ProvisioningError("--max-power-kw must be between 1 and 1000")
    secret_hash = hash_charger_secret(password)
    existing = (
        await session.execute(select(ChargingStation).where(ChargingStation.ocpp_id == ocpp_id))
    ).scalar_one_or_none()
    if existing is not None:
        existing.password_hash = secret_hash
        await session.commit()
        return existing, False

    now = utc_now()
    revision = await bump_revision(session)
    if location_id is None:
        location_id = uuid.uuid4()
        latitude, longitude = coordinates or (0.0, 0.0)
        session.add(
            Location(
                id=location_id,
                country_code=country_code,
                party_id=party_id,
                ocpi_id=f"LOC-{ocpp_id}"[:36],
                source="ocpp",
                name=name or f"Charger {ocpp_id}",
                address="",
                city="",
                country=country,
                latitude=latitude,
                longitude=longitude,
                time_zone=time_zone,
                operator_name=None,
                facilities=[],
                publish=coordinates is not None,
                last_updated=now,
                revision=revision,
            )
        )
        await session.flush()  # the location row must exist before the charger that points at it
    elif await session.get(Location, location_id) is None:
        raise ProvisioningError(f"no location {location_id}")
    station = ChargingStation(id=uuid.uuid4(), ocpp_id=ocpp_id, location_id=location_id, password_hash=secret_hash)
    session.add(station)
    await session.flush()
    fmt, power_type, voltage, amperage, watts = connector_electrics(standard, max_power_kw)
    evse_rows = [
        {
            "id": uuid.uuid4(),
            "location_id": location_id,
            "uid": f"{ocpp_id}-{number}"[:36],
            "emi3_evse_id": f"{country_code}*{party_id}*E{ocpp_id}{number}".replace("-", "")[:48],
            "status": "UNKNOWN",
            "status_source": "live",
            "status_updated_at": now,
            "capabilities": ["REMOTE_START_STOP_CAPABLE", "RFID_READER"],
            "charging_station_id": station.id,
            "ocpp_evse_id": number,
            "last_updated": now,
        }
        for number in range(1, evses + 1)
    ]
    await session.execute(insert(Evse), evse_rows)
    await session.execute(
        insert(Connector),
        [
            {
                "id": uuid.uuid4(),
                "evse_id": row["id"],
                "connector_id": "1",
                "standard": standard,
                "format": fmt,
                "power_type": power_type,
                "max_voltage": voltage,
                "max_amperage": amperage,
                "max_electric_power": watts,
                "tariff_ids": [tariff_id] if tariff_id else [],
                "last_updated": now,
            }
            for row in evse_rows
        ],
    )
    await touch_location(session, location_id, revision, now)
    await session.commit()
    return station, True


async def attach_chargers(session: AsyncSession, assignments: Sequence[tuple[str, uuid.UUID]], password: str) -> int:
    """Give existing EVSEs a charger each (one OCPP charger per EVSE, EVSE number 1), e.g. for the demo.

    Core bulk statements, no ORM objects: tens of thousands of chargers take seconds, not minutes. A charger
    id that exists, or comes twice, and an EVSE that does not exist or comes twice, are skipped.
    """
    secret_hash = hash_charger_secret(password)
    known = set((await session.execute(select(ChargingStation.ocpp_id))).scalars())
    wanted = list({evse_id for _, evse_id in assignments})
    evse_rows: dict[uuid.UUID, uuid.UUID] = {}
    for part in _chunks(wanted):
        rows = await session.execute(select(Evse.id, Evse.location_id).where(Evse.id.in_(part)))
        evse_rows.update((row.id, row.location_id) for row in rows)
    now = utc_now()
    stations: list[dict[str, object]] = []
    evse_updates: list[dict[str, object]] = []
    taken: set[uuid.UUID] = set()
    touched: set[uuid.UUID] = set()
    for ocpp_id, evse_id in assignments:
        if ocpp_id in known or evse_id not in evse_rows or evse_id in taken:
            continue
        known.add(ocpp_id)
        taken.add(evse_id)
        station_id = uuid.uuid4()
        stations.append(
            {
                "id": station_id,
                "ocpp_id": ocpp_id,
                "location_id": evse_rows[evse_id],
                "password_hash": secret_hash,
                "connected": False,
                "created_at": now,
            }
        )
        evse_updates.append({"b_id": evse_id, "b_station": station_id})
        touched.add(evse_rows[evse_id])
    if not stations:
        return 0
    revision = await bump_revision(session)
    await session.execute(insert(_STATIONS), stations)
    await session.execute(_ATTACH_EVSE, evse_updates)
    await touch_locations(session, touched, revision, now)
    await session.commit()
    return len(stations)


async def list_chargers(session: AsyncSession, where: ColumnElement[bool] | None = None) -> list[ChargerSummary]:
    query = select(ChargingStation).order_by(ChargingStation.ocpp_id)
    stations = list((await session.execute(query if where is None else query.where(where))).scalars())
    names = (
        dict(
            (
                await session.execute(
                    select(Location.id, Location.name).where(Location.id.in_({s.location_id for s in stations}))
                )
            )
            .tuples()
            .all()
        )
        if stations
        else {}
    )
    counts: dict[uuid.UUID, int] = {}
    for station_id in (
        await session.execute(select(Evse.charging_station_id).where(Evse.charging_station_id.is_not(None)))
    ).scalars():
        if station_id is not None:
            counts[station_id] = counts.get(station_id, 0) + 1
    return [
        ChargerSummary(
            ocpp_id=s.ocpp_id,
            location_id=s.location_id,
            location_name=names.get(s.location_id),
            evses=counts.get(s.id, 0),
            connected=s.connected,
            last_seen=s.last_seen,
            vendor=s.vendor,
            model=s.model,
            ocpp_version=s.ocpp_version,
            held_by=s.held_by,
            clock_offset_seconds=None if s.clock_offset_seconds is None else round(s.clock_offset_seconds, 1),
            clock=describe_offset(s.clock_offset_seconds),
            registration_status=s.registration_status,
            password_rotation=s.password_rotation,
        )
        for s in stations
    ]


# ----- RFID tokens ---------------------------------------------------------------------------------


async def add_token(session: AsyncSession, uid: str, *, driver_email: str | None, token_type: str = "RFID") -> bool:
    """Register a card; True when created, False when it existed (its owner and state are then updated)."""
    if not 1 <= len(uid) <= 64:
        raise ProvisioningError("a token uid has 1 to 64 characters")
    user_id = None
    if driver_email:
        user_id = (
            await session.execute(
                select(User.id).where(User.email == driver_email.strip().lower(), User.erased_at.is_(None))
            )
        ).scalar_one_or_none()
        if user_id is None:
            raise ProvisioningError(f"no account with the email address {driver_email!r}")
    existing = (await session.execute(select(IdTokenRecord).where(IdTokenRecord.uid == uid))).scalar_one_or_none()
    if existing is not None:
        existing.user_id = user_id or existing.user_id
        existing.status = "Accepted"
        await session.commit()
        return False
    session.add(IdTokenRecord(uid=uid, type=token_type, user_id=user_id, status="Accepted"))
    await session.commit()
    return True


async def add_tokens_in_bulk(session: AsyncSession, uids: Sequence[str]) -> int:
    """Many cards at once (demo data); existing ones are left alone."""
    known = set((await session.execute(select(IdTokenRecord.uid))).scalars())
    rows = [
        {"id": uuid.uuid4(), "uid": uid, "type": "RFID", "status": "Accepted", "created_at": datetime.now(UTC)}
        for uid in uids
        if uid not in known
    ]
    if rows:
        await session.execute(insert(IdTokenRecord), rows)
    await session.commit()
    return len(rows)


async def block_token(session: AsyncSession, uid: str) -> None:
    token = (await session.execute(select(IdTokenRecord).where(IdTokenRecord.uid == uid))).scalar_one_or_none()
    if token is None:
        raise ProvisioningError(f"no token {uid!r}")
    token.status = "Blocked"
    await session.commit()


async def list_tokens(session: AsyncSession) -> list[tuple[str, str, str, str | None]]:
    """(uid, type, status, driver email) of every token."""
    rows = await session.execute(
        select(IdTokenRecord.uid, IdTokenRecord.type, IdTokenRecord.status, User.email)
        .outerjoin(User, User.id == IdTokenRecord.user_id)
        .order_by(IdTokenRecord.uid)
    )
    return [(r.uid, r.type, r.status, r.email) for r in rows]


async def charger_ratings(session: AsyncSession, prefix: str) -> dict[str, tuple[int, bool]]:
    """Per charger whose id starts with `prefix`: its best connector's rated power (W) and whether it is DC."""
    rows = await session.execute(
        select(ChargingStation.ocpp_id, Connector.max_electric_power, Connector.power_type)
        .join(Evse, Evse.charging_station_id == ChargingStation.id)
        .join(Connector, Connector.evse_id == Evse.id)
        .where(Connector.max_electric_power.is_not(None))
    )
    ratings: dict[str, tuple[int, bool]] = {}
    for ocpp_id, watts, power_type in rows:
        if ocpp_id.startswith(prefix) and (watts or 0) > ratings.get(ocpp_id, (0, False))[0]:
            ratings[ocpp_id] = (int(watts or 0), power_type == "DC")
    return ratings


async def count_chargers(session: AsyncSession, prefix: str) -> int:
    ids = (await session.execute(select(ChargingStation.ocpp_id))).scalars()
    return sum(1 for ocpp_id in ids if ocpp_id.startswith(prefix))
