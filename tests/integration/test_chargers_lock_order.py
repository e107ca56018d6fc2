"""The writers of the chargers table never deadlock on PostgreSQL: the live-state writer (connects, boots) and the
backend's last-seen writer flush the same chargers at the same time, handed to them in opposite orders."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from api.db.engine import create_engine, create_session_factory
from api.db.models import ChargingStation, Location
from api.domain.chargers.backend import CsmsService
from api.domain.chargers.live_writer import LiveStateWriter
from api.domain.chargers.meter_writer import MeterSampleWriter
from ocpp_bridge.events import ChargerConnected
from tests.integration.conftest import empty_all_tables

CHARGERS = 400
ROUNDS = 6


@pytest.fixture
async def engines(database_url: str) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    first, second = create_engine(database_url), create_engine(database_url)
    try:
        yield first, second
    finally:
        await first.dispose()
        await second.dispose()
        await empty_all_tables(database_url)


async def deadlocks(engine: AsyncEngine, database: str) -> int:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT pg_stat_clear_snapshot()"))
        found = await connection.execute(
            text("SELECT deadlocks FROM pg_stat_database WHERE datname = :name"), {"name": database}
        )
        return int(found.scalar_one())


# Row locks and deadlocks are PostgreSQL's; SQLite has one writer at a time.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_live_and_last_seen_writers_do_not_deadlock(
    database_url: str, engines: tuple[AsyncEngine, AsyncEngine]
) -> None:
    live_engine, seen_engine = engines
    location_id = uuid.uuid4()
    ids = sorted(uuid.uuid4() for _ in range(CHARGERS))
    # the charger names sort opposite to their primary keys, so writes keyed by name run in the reverse order
    names = {station_id: f"LOCK-{CHARGERS - n:05d}" for n, station_id in enumerate(ids)}
    async with live_engine.begin() as connection:
        await connection.execute(
            insert(Location).values(
                id=location_id, country_code="NL", party_id="VWY", ocpi_id="LOCK", source="test", address="a",
                city="c", country="NLD", latitude=52.0, longitude=5.0, time_zone="Europe/Amsterdam",
            )
        )  # fmt: skip
        await connection.execute(
            insert(ChargingStation), [{"id": i, "ocpp_id": names[i], "location_id": location_id} for i in ids]
        )
    live = LiveStateWriter(create_session_factory(live_engine))
    seen_factory = create_session_factory(seen_engine)
    csms = CsmsService(seen_factory, heartbeat_interval=60, meter_writer=MeterSampleWriter(seen_factory))
    await csms.directory.load_all()
    database = make_url(database_url).database
    assert database
    before = await deadlocks(live_engine, database)

    failures: list[BaseException] = []
    for _ in range(ROUNDS):
        now = datetime.now(UTC)
        for station_id in reversed(ids):  # boots and connects arrive newest charger first
            live.booted(
                station_id, vendor="V", model="M", firmware_version=None, serial_number=None, ocpp_version="1.6", at=now
            )
            live.attached(names[station_id], "process-a", "1.6")
        for station_id in ids:
            await csms.on_event(
                ChargerConnected(charger_id=names[station_id], ocpp_version="1.6", remote_address=None, at=now)
            )
        results = await asyncio.gather(live.flush(), csms.flush_last_seen(), return_exceptions=True)
        failures.extend(r for r in results if isinstance(r, BaseException))

    assert failures == []
    assert await deadlocks(live_engine, database) == before
