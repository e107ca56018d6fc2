"""Batched writes of the bridge's backend on SQLite and PostgreSQL: statuses, connects and boots land in one
transaction per flush with one catalogue revision, replays never go back in time, the charger directory is
served from memory, and bulk provisioning keeps the same rules."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.db.engine import create_engine, create_session_factory
from api.db.models import ChangeCounter, ChargerLogEntry, ChargingStation, Evse, Location
from api.domain.chargers.backend import TOKEN_TTL_SECONDS, CsmsService
from api.domain.chargers.live_writer import LiveStateWriter
from api.domain.chargers.meter_writer import MeterSampleWriter
from api.domain.chargers.provisioning import add_charger, add_token, attach_chargers, block_token
from api.domain.chargers.relay import LocalCommandRelay
from api.domain.stations.store import STATIONS_COUNTER
from ocpp_bridge.events import AuthorizationRequested, IdToken, StatusChanged
from tests.integration.conftest import empty_all_tables

# Relative to the day the tests run; the chargers were provisioned a day before (see `service`).
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
LATENCY = timedelta(milliseconds=200)
SECRET = "a-long-charger-secret"
Factory = async_sessionmaker[AsyncSession]


class Statements:
    """Counts the SQL statements an engine runs."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.count = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    try:
        yield engine
    finally:
        await engine.dispose()
        await empty_all_tables(database_url)


@pytest.fixture
async def factory(engine: AsyncEngine) -> Factory:
    return create_session_factory(engine)


async def provision(factory: Factory, ocpp_id: str, *, evses: int = 1) -> None:
    async with factory() as session:
        await add_charger(
            session, ocpp_id=ocpp_id, password=SECRET, country_code="NL", party_id="VWY", evses=evses,
            coordinates=(52.0, 5.0),
        )  # fmt: skip
        await session.execute(
            update(ChargingStation).where(ChargingStation.ocpp_id == ocpp_id).values(created_at=T0 - timedelta(days=1))
        )
        await session.commit()


@pytest.fixture
async def service(factory: Factory) -> AsyncIterator[CsmsService]:
    for n in range(1, 4):
        await provision(factory, f"CP-B{n}", evses=2)
    csms = CsmsService(
        factory,
        heartbeat_interval=60,
        meter_writer=MeterSampleWriter(factory, flush_seconds=60),
        live_writer=LiveStateWriter(factory, flush_seconds=60),  # flushed by hand below
    )
    await csms.live.start()
    await csms.start()
    yield csms
    await csms.stop()
    await csms.live.stop()


async def one(factory: Factory, query: Any) -> Any:
    async with factory() as session:
        return (await session.execute(query)).scalar_one()


async def revision(factory: Factory) -> int:
    return int(await one(factory, select(ChangeCounter.revision).where(ChangeCounter.name == STATIONS_COUNTER)))


def status(
    charger: str, connector: int, value: str, at: datetime, *, arrived: datetime | None = None, **extra: Any
) -> StatusChanged:
    """A StatusNotification stamped `at` by a charger in sync; it arrives at once unless `arrived` (a replay)."""
    return StatusChanged(
        charger_id=charger, ocpp_version="1.6", message_id=uuid.uuid4().hex, received_at=arrived or at + LATENCY,
        connector_id=connector, status=value, timestamp=at, **extra,
    )  # fmt: skip


async def evse_state(factory: Factory, charger: str, number: int) -> tuple[str, str | None, datetime]:
    async with factory() as session:
        row = (
            await session.execute(
                select(Evse.status, Evse.ocpp_status, Evse.status_updated_at)
                .join(ChargingStation, ChargingStation.id == Evse.charging_station_id)
                .where(ChargingStation.ocpp_id == charger, Evse.ocpp_evse_id == number)
            )
        ).one()
    return row[0], row[1], row[2]


async def location_revisions(factory: Factory) -> dict[str, int]:
    async with factory() as session:
        rows = await session.execute(
            select(ChargingStation.ocpp_id, Location.revision).join(
                Location, Location.id == ChargingStation.location_id
            )
        )
        return {row[0]: row[1] for row in rows}


async def test_statuses_of_many_chargers_take_one_revision(factory: Factory, service: CsmsService) -> None:
    before = await revision(factory)
    for n in range(1, 4):
        await service.on_event(status(f"CP-B{n}", 1, "Charging", T0 + timedelta(minutes=1)))
        await service.on_event(status(f"CP-B{n}", 2, "Preparing", T0 + timedelta(minutes=1)))
    await service.live.flush()
    assert await revision(factory) == before + 1
    assert set((await location_revisions(factory)).values()) == {before + 1}
    assert (await evse_state(factory, "CP-B1", 1))[:2] == ("CHARGING", "Charging")
    assert (await evse_state(factory, "CP-B3", 2))[:2] == ("CHARGING", "Preparing")

    # The same status again changes nothing on the map: no revision, though its time moves on.
    await service.on_event(status("CP-B1", 1, "Charging", T0 + timedelta(minutes=5)))
    await service.live.flush()
    assert await revision(factory) == before + 1
    assert (await evse_state(factory, "CP-B1", 1))[2] == T0 + timedelta(minutes=5)

    # ... so a replay from before that time is still refused, in a later batch as in the same one.
    late = status("CP-B1", 1, "Available", T0 + timedelta(minutes=3), arrived=T0 + timedelta(minutes=6))
    await service.on_event(late)
    await service.live.flush()
    assert (await evse_state(factory, "CP-B1", 1))[:2] == ("CHARGING", "Charging")
    await service.on_event(status("CP-B2", 1, "Available", T0 + timedelta(minutes=9)))
    replayed = status("CP-B2", 1, "Charging", T0 + timedelta(minutes=8), arrived=T0 + timedelta(minutes=9, seconds=1))
    await service.on_event(replayed)  # older
    await service.live.flush()
    assert (await evse_state(factory, "CP-B2", 1))[:2] == ("AVAILABLE", "Available")
    assert await revision(factory) == before + 2


async def test_faults_are_logged_in_the_batch_and_replays_are_not(factory: Factory, service: CsmsService) -> None:
    await service.on_event(status("CP-B1", 2, "Faulted", T0 + timedelta(minutes=2), error_code="GroundFailure"))
    await service.on_event(status("CP-B1", 0, "Faulted", T0 + timedelta(minutes=2), error_code="PowerMeterFailure"))
    await service.on_event(status("CP-B1", 2, "Available", T0 + timedelta(minutes=3)))
    assert await one(factory, select(func.count()).select_from(ChargerLogEntry)) == 0  # buffered
    await service.live.flush()
    async with factory() as session:
        logged = sorted((await session.execute(select(ChargerLogEntry.kind))).scalars())
    assert logged == ["ChargerFault", "ConnectorFault"]
    assert (await evse_state(factory, "CP-B1", 2))[:2] == ("AVAILABLE", "Available")

    # The same fault replayed after a reconnect is older than what is stored: neither shown nor logged again.
    replayed = status(
        "CP-B1", 2, "Faulted", T0 + timedelta(minutes=2), arrived=T0 + timedelta(minutes=4), error_code="GroundFailure"
    )
    await service.on_event(replayed)
    await service.live.flush()
    assert await one(factory, select(func.count()).select_from(ChargerLogEntry)) == 2
    assert (await evse_state(factory, "CP-B1", 2))[0] == "AVAILABLE"


async def test_a_failed_flush_keeps_its_changes_for_the_next(factory: Factory, service: CsmsService) -> None:
    await service.on_event(status("CP-B3", 1, "Charging", T0 + timedelta(minutes=1)))
    working = service.live._session_factory

    def broken() -> AsyncSession:
        raise ConnectionError("database away")

    service.live._session_factory = broken  # type: ignore[assignment]
    with pytest.raises(ConnectionError):
        await service.live.flush()
    await service.on_event(status("CP-B3", 2, "Charging", T0 + timedelta(minutes=1)))
    service.live._session_factory = working
    await service.live.flush()
    assert (await evse_state(factory, "CP-B3", 1))[0] == "CHARGING"
    assert (await evse_state(factory, "CP-B3", 2))[0] == "CHARGING"


async def test_known_chargers_are_checked_without_the_database(
    engine: AsyncEngine, factory: Factory, service: CsmsService
) -> None:
    statements = Statements(engine)
    for n in range(1, 4):
        assert await service.check_credentials(f"CP-B{n}", SECRET)
    assert statements.count == 0

    # Provisioned after start: accepted at once; a changed secret takes effect at once too.
    await provision(factory, "CP-LATE")
    assert await service.check_credentials("CP-LATE", SECRET)
    assert not await service.check_credentials("CP-NEVER", SECRET)
    async with factory() as session:
        await add_charger(session, ocpp_id="CP-B1", password="another-long-secret", country_code="NL", party_id="VWY")
    assert await service.check_credentials("CP-B1", "another-long-secret")
    assert not await service.check_credentials("CP-B1", SECRET)

    # The periodic reload picks up every change and drops removed chargers.
    async with factory() as session, session.begin():
        station = (
            await session.execute(select(ChargingStation).where(ChargingStation.ocpp_id == "CP-LATE"))
        ).scalar_one()
        await session.delete(station)
    await service.directory.load_all()
    assert service.directory.cached("CP-LATE") is None
    assert service.directory.cached("CP-B2") is not None


async def test_a_blocked_token_is_refused_within_seconds(factory: Factory, service: CsmsService) -> None:
    async with factory() as session:
        await add_token(session, "CARD-SOON-BLOCKED", driver_email=None)

    async def ask() -> str:
        request = AuthorizationRequested(
            charger_id="CP-B1", ocpp_version="1.6", message_id="a", received_at=datetime.now(UTC),
            id_token=IdToken("CARD-SOON-BLOCKED"),
        )  # fmt: skip
        return (await service.on_authorization_requested(request)).status

    assert await ask() == "Accepted"
    async with factory() as session:
        await block_token(session, "CARD-SOON-BLOCKED")
    deadline = time.monotonic() + TOKEN_TTL_SECONDS + 1.0
    while await ask() != "Blocked":
        assert time.monotonic() < deadline, "a blocked token was still accepted"
        await asyncio.sleep(0.1)


async def test_connects_and_disconnects_are_batched(factory: Factory) -> None:
    for n in range(1, 6):
        await provision(factory, f"CP-L{n}")
    live = LiveStateWriter(factory, flush_seconds=60)
    relay = LocalCommandRelay(factory, "process-a", live_writer=live)
    await live.start()
    try:
        before = await revision(factory)
        for n in range(1, 6):
            await relay.charger_attached(f"CP-L{n}", "2.0.1")
        await relay.charger_detached("CP-L5")  # connected and gone within one flush
        await live.flush()
        assert await revision(factory) == before + 1
        async with factory() as session:
            rows = {
                row.ocpp_id: (row.held_by, row.connected, row.ocpp_version)
                for row in (await session.execute(select(ChargingStation))).scalars()
            }
        assert rows["CP-L1"] == ("process-a", True, "2.0.1")
        assert rows["CP-L5"][:2] == (None, False)
        revisions = await location_revisions(factory)
        assert {revisions[f"CP-L{n}"] for n in range(1, 5)} == {before + 1}

        # Another process's disconnect leaves this process's connection alone; its own clears it.
        other = LocalCommandRelay(factory, "process-b", live_writer=live)
        await other.charger_detached("CP-L1")
        await relay.charger_detached("CP-L2")
        await live.flush()
        async with factory() as session:
            rows_held = await session.execute(select(ChargingStation.ocpp_id, ChargingStation.held_by))
            held = {row[0]: row[1] for row in rows_held}
        assert held["CP-L1"] == "process-a"
        assert held["CP-L2"] is None
    finally:
        await live.stop()


async def test_bulk_attach_links_evses_and_skips_what_exists(factory: Factory) -> None:
    await provision(factory, "CP-HAS-EVSE")
    location_id = uuid.uuid4()
    evse_ids = [uuid.uuid4() for _ in range(1200)]
    async with factory() as session, session.begin():
        session.add(
            Location(
                id=location_id, country_code="NL", party_id="VWY", ocpi_id="LOC-BULK", source="test", address="",
                city="Utrecht", country="NLD", latitude=52.09, longitude=5.12, time_zone="Europe/Amsterdam",
            )
        )  # fmt: skip
        await session.flush()
        session.add_all(Evse(id=evse_id, location_id=location_id, uid=f"E{n}") for n, evse_id in enumerate(evse_ids))
    before = await revision(factory)
    assignments = [(f"CP-BULK-{n}", evse_id) for n, evse_id in enumerate(evse_ids)]
    assignments += [("CP-HAS-EVSE", evse_ids[0]), ("CP-BULK-0", evse_ids[1]), ("CP-NOWHERE", uuid.uuid4())]
    async with factory() as session:
        assert await attach_chargers(session, assignments, SECRET) == 1200
    async with factory() as session:
        assert await attach_chargers(session, assignments, SECRET) == 0  # all there already
    assert await revision(factory) == before + 1
    assert await one(factory, select(Location.revision).where(Location.id == location_id)) == before + 1
    async with factory() as session:
        linked = (
            await session.execute(
                select(func.count())
                .select_from(Evse)
                .where(Evse.location_id == location_id, Evse.ocpp_evse_id == 1, Evse.status_source == "live")
            )
        ).scalar_one()
    assert linked == 1200
    service = CsmsService(factory, heartbeat_interval=60, meter_writer=MeterSampleWriter(factory))
    await service.directory.load_all()
    assert len(service.directory) == 1201
    ref = service.directory.cached("CP-BULK-7")
    assert ref is not None
    assert ref.evses == {1: evse_ids[7]}
    assert await service.check_credentials("CP-BULK-1199", SECRET)
