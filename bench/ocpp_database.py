"""The benchmark's database: created fresh (SQLite file or a PostgreSQL database of its own), migrated, filled
with N chargers (one EVSE each, one known password) and their RFID tokens, counted, and dropped afterwards."""

from __future__ import annotations

import tempfile
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import func, insert, select

from api.db.engine import create_engine, create_session_factory
from api.db.migrate import upgrade
from api.db.models import ChargingStation, ChargingTransaction, Connector, Evse, Location, MeterSampleRecord
from api.domain.chargers.credentials import hash_charger_secret
from api.domain.chargers.provisioning import add_tokens_in_bulk
from bench.ocpp_load import PASSWORD, charger_id, token_uid

CHUNK = 2000


def sqlite_url() -> str:
    return f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='voltway-bench-ocpp-')}/ocpp.db"


async def provision(url: str, count: int) -> float:
    """Migrate, then create ``count`` chargers (a location, a station and an EVSE with one connector each) and one
    RFID token per charger; returns the seconds the provisioning took.

    Chargers are written with Core bulk inserts and the real secret hash (``hash_charger_secret``), tokens with
    ``add_tokens_in_bulk``. ``attach_chargers`` does the same per row through the ORM (a flush and two updates
    per charger): about 5 ms a charger here, 45-53 s for 10,000, too slow to run before every benchmark.
    """
    engine = create_engine(url)
    try:
        await upgrade(engine)
        factory = create_session_factory(engine)
        started = time.perf_counter()
        now = datetime.now(UTC)
        secret_hash = hash_charger_secret(PASSWORD)
        created = 0
        async with factory() as session:
            for first in range(1, count + 1, CHUNK):
                indexes = range(first, min(count, first + CHUNK - 1) + 1)
                locations = [
                    {
                        "id": uuid.uuid4(),
                        "country_code": "NL",
                        "party_id": "VWY",
                        "ocpi_id": f"LOC-{charger_id(i)}",
                        "source": "ocpp",
                        "name": f"Bench site {i}",
                        "address": "",
                        "city": "Amsterdam",
                        "country": "NLD",
                        "latitude": 52.0 + i * 1e-5,
                        "longitude": 4.9,
                        "time_zone": "Europe/Amsterdam",
                        "facilities": [],
                        "publish": True,
                        "last_updated": now,
                    }
                    for i in indexes
                ]
                stations = [
                    {
                        "id": uuid.uuid4(),
                        "ocpp_id": charger_id(i),
                        "location_id": location["id"],
                        "password_hash": secret_hash,
                        "created_at": now,
                    }
                    for i, location in zip(indexes, locations, strict=True)
                ]
                evses = [
                    {
                        "id": uuid.uuid4(),
                        "location_id": station["location_id"],
                        "charging_station_id": station["id"],
                        "ocpp_evse_id": 1,
                        "uid": f"{charger_id(i)}-1",
                        "emi3_evse_id": f"NL*VWY*E{charger_id(i).replace('-', '')}1",
                        "status": "UNKNOWN",
                        "status_source": "live",
                        "status_updated_at": now,
                        "capabilities": ["REMOTE_START_STOP_CAPABLE", "RFID_READER"],
                        "last_updated": now,
                    }
                    for i, station in zip(indexes, stations, strict=True)
                ]
                connectors = [
                    {
                        "id": uuid.uuid4(),
                        "evse_id": evse["id"],
                        "connector_id": "1",
                        "standard": "IEC_62196_T2",
                        "format": "SOCKET",
                        "power_type": "AC_3_PHASE",
                        "max_voltage": 230,
                        "max_amperage": 32,
                        "max_electric_power": 22000,
                        "tariff_ids": [],
                        "last_updated": now,
                    }
                    for evse in evses
                ]
                await session.execute(insert(Location), locations)
                await session.execute(insert(ChargingStation), stations)
                await session.execute(insert(Evse), evses)
                await session.execute(insert(Connector), connectors)
                created += len(stations)
            await session.commit()
            tokens = await add_tokens_in_bulk(session, [token_uid(i) for i in range(1, count + 1)])
        if created != count or tokens != count:
            msg = f"provisioned {created} chargers and {tokens} tokens, wanted {count}"
            raise RuntimeError(msg)
        return time.perf_counter() - started
    finally:
        await engine.dispose()


async def count_rows(url: str) -> tuple[int, int]:
    """(meter_samples rows, charging_transactions rows)."""
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session:
            samples = (await session.execute(select(func.count()).select_from(MeterSampleRecord))).scalar_one()
            transactions = (await session.execute(select(func.count()).select_from(ChargingTransaction))).scalar_one()
        return int(samples), int(transactions)
    finally:
        await engine.dispose()
