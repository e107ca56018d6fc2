"""The command relay over a real database: chargers held by one process, commands issued in another."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.engine import create_engine, create_session_factory
from api.db.models import BridgeProcess, ChargingStation, Location
from api.domain.chargers.relay import LocalCommandRelay, PostgresCommandRelay, channel_for
from ocpp_bridge import commands, errors
from ocpp_bridge.config import BridgeConfig
from ocpp_bridge.events import ChargerDisconnected
from ocpp_bridge.server import CentralSystem
from tests.e2e.ocpp_bridge.backend_for_tests import TEST_PASSWORD, RecordingBackend
from tests.e2e.ocpp_bridge.ocpp_charger_for_tests import charger
from tests.integration.conftest import empty_all_tables

Factory = async_sessionmaker[AsyncSession]
BEAT = 0.2
STALE = 2.0


@pytest.fixture
async def factory(database_url: str) -> AsyncIterator[Factory]:
    engine = create_engine(database_url)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()
        await empty_all_tables(database_url)


# The relay between processes is PostgreSQL LISTEN/NOTIFY: these tests run on PostgreSQL only.
postgres_only = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


async def provision(factory: Factory, ocpp_id: str, **station: object) -> uuid.UUID:
    """A location with one charging station; returns the location id."""
    location_id = uuid.uuid4()
    async with factory() as session, session.begin():
        session.add(
            Location(
                id=location_id,
                country_code="NL",
                party_id="TST",
                ocpi_id=f"LOC-{ocpp_id}",
                source="test",
                address="Damrak 1",
                city="Amsterdam",
                country="NLD",
                latitude=52.37,
                longitude=4.89,
                time_zone="Europe/Amsterdam",
            )
        )
        await session.flush()
        session.add(ChargingStation(ocpp_id=ocpp_id, location_id=location_id, **station))
    return location_id


async def station(factory: Factory, ocpp_id: str) -> ChargingStation:
    async with factory() as session:
        return (await session.execute(select(ChargingStation).where(ChargingStation.ocpp_id == ocpp_id))).scalar_one()


async def revision_of(factory: Factory, location_id: uuid.UUID) -> int:
    async with factory() as session:
        return (await session.execute(select(Location.revision).where(Location.id == location_id))).scalar_one()


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 3.0) -> None:
    """Wait until the async ``check`` holds."""
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "the condition did not hold in time"
        await asyncio.sleep(0.02)


def held_by(
    factory: Factory, ocpp_id: str, process_id: str | None, *, connected: bool
) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        row = await station(factory, ocpp_id)
        return row.held_by == process_id and row.connected is connected

    return check


@contextlib.asynccontextmanager
async def bridge_process(
    relay: PostgresCommandRelay | LocalCommandRelay, *, stop_relay: bool = True
) -> AsyncIterator[CentralSystem]:
    """A central system on a free port wired to ``relay``, as the application wires one process."""
    backend = RecordingBackend(accept_prefix="CP-", prefix_password=TEST_PASSWORD)
    config = BridgeConfig(host="127.0.0.1", port=0, ping_interval=None, command_timeout=5.0)
    async with CentralSystem(backend, config, relay) as central:
        await relay.start(central)
        try:
            yield central
        finally:
            if stop_relay:
                await relay.stop()


def postgres_relay(database_url: str, factory: Factory, process_id: str) -> PostgresCommandRelay:
    return PostgresCommandRelay(database_url, factory, process_id, beat_seconds=BEAT, stale_after_seconds=STALE)


@postgres_only
async def test_commands_reach_a_charger_held_by_another_process(database_url: str, factory: Factory) -> None:
    location_id = await provision(factory, "CP-REL-1")
    await provision(factory, "CP-REL-IDLE")
    relay_a = postgres_relay(database_url, factory, "process-a")
    relay_b = postgres_relay(database_url, factory, "process-b")
    assert relay_a.channel != relay_b.channel == channel_for("process-b")
    async with bridge_process(relay_a) as here, bridge_process(relay_b) as there:
        before = await revision_of(factory, location_id)
        async with charger(there.port, "CP-REL-1") as cp:
            await eventually(held_by(factory, "CP-REL-1", "process-b", connected=True))
            assert await revision_of(factory, location_id) > before
            assert not here.is_connected("CP-REL-1")

            assert await here.send_command("CP-REL-1", commands.Reset()) == commands.StatusResult(status="Accepted")
            started = await here.send_command("CP-REL-1", commands.RemoteStart(id_token="TAG-1", connector_id=1))
            assert started == commands.RemoteStartResult(status="Accepted")
            assert cp.received_commands == [
                ("Reset", {"type": "Soft"}),
                ("RemoteStartTransaction", {"idTag": "TAG-1", "connectorId": 1}),
            ]

            # Failures on the holder come back as the same exception types.
            cp.answers["UnlockConnector"] = [4, "NotSupported", "no motorised lock", {}]
            with pytest.raises(errors.CommandRejected) as rejected:
                await here.send_command("CP-REL-1", commands.Unlock(connector_id=1))
            assert (rejected.value.code, rejected.value.description) == ("NotSupported", "no motorised lock")
            with pytest.raises(errors.InvalidCommand, match="integers"):
                await here.send_command("CP-REL-1", commands.RemoteStop(transaction_id="not-a-number"))
            # A command beyond PostgreSQL's NOTIFY limit is refused with a clear error; a longer answer comes back
            # compressed, in parts.
            with pytest.raises(errors.InvalidCommand, match="limit"):
                await here.send_command("CP-REL-1", commands.ChangeConfiguration(key="Note", value="x" * 9000))
            long_values = [{"key": f"Vendor{n}", "readonly": True, "value": uuid.uuid4().hex * 4} for n in range(100)]
            cp.answers["GetConfiguration"] = {"configurationKey": long_values}
            answered = await here.send_command("CP-REL-1", commands.GetConfiguration())
            assert isinstance(answered, commands.ConfigurationResult)
            assert [(value.key, value.value) for value in answered.values] == [
                (value["key"], value["value"]) for value in long_values
            ]
            cp.answers["GetConfiguration"] = {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False}]}
            assert await here.send_command("CP-REL-1", commands.GetConfiguration()) == commands.ConfigurationResult(
                values=(commands.ConfigurationValue(key="HeartbeatInterval", readonly=False),)
            )
            cp.answer_delay = 0.5
            with pytest.raises(errors.CommandTimeout):
                await here.send_command("CP-REL-1", commands.ClearCache(), reply_timeout=0.2)
            cp.answer_delay = 0.0

            async def answered_late() -> bool:
                return cp.in_flight == 0

            await eventually(answered_late)

            # Several commands in flight at once, each answer reaching its caller.
            results = await asyncio.gather(*(here.send_command("CP-REL-1", commands.ClearCache()) for _ in range(5)))
            assert results == [commands.StatusResult(status="Accepted")] * 5

        await eventually(held_by(factory, "CP-REL-1", None, connected=False))
        for charger_id in ("CP-REL-1", "CP-REL-IDLE", "CP-NOT-PROVISIONED"):
            with pytest.raises(errors.ChargerNotConnected):
                await here.send_command(charger_id, commands.Reset())

        # Stopping a relay takes its process off the table and its chargers offline.
        async with charger(there.port, "CP-REL-1"):
            await eventually(held_by(factory, "CP-REL-1", "process-b", connected=True))
            before = await revision_of(factory, location_id)
            await relay_b.stop()
            await eventually(held_by(factory, "CP-REL-1", None, connected=False))
            assert await revision_of(factory, location_id) > before
            async with factory() as session:
                processes = (await session.execute(select(BridgeProcess.id))).scalars().all()
            assert processes == ["process-a"]
            with pytest.raises(errors.ChargerNotConnected):
                await here.send_command("CP-REL-1", commands.Reset())


@postgres_only
async def test_a_newer_connection_elsewhere_is_not_undone(database_url: str, factory: Factory) -> None:
    await provision(factory, "CP-MOVE")
    relay_a = postgres_relay(database_url, factory, "process-a")
    relay_b = postgres_relay(database_url, factory, "process-b")
    async with bridge_process(relay_a) as first, bridge_process(relay_b) as second:
        first_backend = first.backend
        assert isinstance(first_backend, RecordingBackend)
        async with contextlib.AsyncExitStack() as stack:
            old = await stack.enter_async_context(charger(first.port, "CP-MOVE"))
            await eventually(held_by(factory, "CP-MOVE", "process-a", connected=True))
            async with charger(second.port, "CP-MOVE") as moved:
                await eventually(held_by(factory, "CP-MOVE", "process-b", connected=True))
                await old.close()  # the old socket closes only after the charger came back on B
                await first_backend.wait_for(ChargerDisconnected)
                assert (await station(factory, "CP-MOVE")).held_by == "process-b"
                assert (await station(factory, "CP-MOVE")).connected
                assert await first.send_command("CP-MOVE", commands.Reset()) == commands.StatusResult(status="Accepted")
                assert moved.received_commands == [("Reset", {"type": "Soft"})]
        await eventually(held_by(factory, "CP-MOVE", None, connected=False))


@postgres_only
async def test_dead_processes_are_reaped_and_their_chargers_go_offline(database_url: str, factory: Factory) -> None:
    live = postgres_relay(database_url, factory, "process-live")
    async with bridge_process(live) as central:
        now = datetime.now(UTC)
        ghost_location = await provision(factory, "CP-GHOST", held_by="process-ghost", connected=True, last_seen=now)
        with pytest.raises(errors.ChargerNotConnected):  # held by a process that never registered
            await central.send_command("CP-GHOST", commands.Reset())

        # A process that crashed a while ago, still marked as holding a charger.
        location_id = await provision(factory, "CP-ORPHAN", held_by="process-dead", connected=True, last_seen=now)
        async with factory() as session, session.begin():
            # processes beat on the database's clock, which may differ from this one's
            long_ago = func.now() - timedelta(hours=1)
            session.add(BridgeProcess(id="process-dead", host="gone", started_at=long_ago, last_beat=long_ago))
        before = await revision_of(factory, location_id)
        with pytest.raises(errors.ChargerNotConnected):  # a holder that stopped beating is no holder
            await central.send_command("CP-ORPHAN", commands.Reset())

        async def reaped() -> bool:
            async with factory() as session:
                processes = (await session.execute(select(BridgeProcess.id))).scalars().all()
            return list(processes) == ["process-live"]

        await eventually(reaped)
        await eventually(held_by(factory, "CP-ORPHAN", None, connected=False))
        assert await revision_of(factory, location_id) > before
        assert (await station(factory, "CP-GHOST")).held_by == "process-ghost"  # beats reap registered processes

        # A starting process also releases chargers of holders that left no row, unless attached just now.
        await provision(factory, "CP-LOST", held_by="process-lost", connected=True, last_seen=now - timedelta(hours=1))
        async with bridge_process(postgres_relay(database_url, factory, "process-late")):
            assert await held_by(factory, "CP-LOST", None, connected=False)()
            assert await held_by(factory, "CP-GHOST", "process-ghost", connected=True)()
            assert await revision_of(factory, ghost_location) == 0

        # The live process keeps beating and is never reaped itself.
        async with factory() as session:
            first_beat = (await session.execute(select(BridgeProcess.last_beat))).scalar_one()
        await asyncio.sleep(3 * BEAT)
        async with factory() as session:
            assert (await session.execute(select(BridgeProcess.last_beat))).scalar_one() > first_beat


@postgres_only
async def test_a_process_taken_for_dead_registers_again(database_url: str, factory: Factory) -> None:
    await provision(factory, "CP-STALL")
    relay = postgres_relay(database_url, factory, "process-stalled")
    async with bridge_process(relay) as central, charger(central.port, "CP-STALL"):
        await eventually(held_by(factory, "CP-STALL", "process-stalled", connected=True))
        async with factory() as session, session.begin():  # what another process's reaper does after a stall
            await session.execute(delete(BridgeProcess))
            await session.execute(update(ChargingStation).values(held_by=None, connected=False))
        await eventually(held_by(factory, "CP-STALL", "process-stalled", connected=True))
        async with factory() as session:
            assert (await session.execute(select(BridgeProcess.id))).scalars().all() == ["process-stalled"]


async def test_local_relay_keeps_the_bookkeeping_and_forwards_nothing(database_url: str, factory: Factory) -> None:
    location_id = await provision(factory, "CP-LOCAL")
    relay = LocalCommandRelay(factory, "embedded")
    async with bridge_process(relay, stop_relay=False) as central:
        before = await revision_of(factory, location_id)
        async with charger(central.port, "CP-LOCAL", version="2.0.1"):
            await eventually(held_by(factory, "CP-LOCAL", "embedded", connected=True))
            row = await station(factory, "CP-LOCAL")
            assert row.ocpp_version == "2.0.1"
            assert row.last_seen is not None
            assert await revision_of(factory, location_id) > before
            assert await central.send_command("CP-LOCAL", commands.Reset()) == commands.StatusResult(status="Scheduled")
            # Another process's detach does not undo this process's connection.
            await LocalCommandRelay(factory, "someone-else").charger_detached("CP-LOCAL")
            assert (await station(factory, "CP-LOCAL")).held_by == "embedded"
        await eventually(held_by(factory, "CP-LOCAL", None, connected=False))
        with pytest.raises(errors.ChargerNotConnected):
            await relay.forward_command("CP-LOCAL", commands.Reset(), 1.0)
        with pytest.raises(errors.ChargerNotConnected):
            await central.send_command("CP-LOCAL", commands.Reset())

        async with charger(central.port, "CP-LOCAL"):
            await eventually(held_by(factory, "CP-LOCAL", "embedded", connected=True))
            before = await revision_of(factory, location_id)
            await relay.stop()
            await eventually(held_by(factory, "CP-LOCAL", None, connected=False))
            assert await revision_of(factory, location_id) > before


def test_process_ids_and_timings_are_checked() -> None:
    factory: Factory = async_sessionmaker()
    url = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    with pytest.raises(ValueError, match="process id"):
        LocalCommandRelay(factory, "")
    with pytest.raises(ValueError, match="process id"):
        PostgresCommandRelay(url, factory, "x" * 65)
    with pytest.raises(ValueError, match="beat_seconds"):
        PostgresCommandRelay(url, factory, "p", beat_seconds=30, stale_after_seconds=20)
    assert channel_for("ünïcode process/ with spaces").isidentifier()
    assert len(channel_for("x" * 64)) <= 63  # PostgreSQL truncates longer identifiers


@postgres_only
async def test_any_ocpp_message_by_name_reaches_a_charger_held_by_another_process(
    database_url: str, factory: Factory
) -> None:
    await provision(factory, "CP-REL-GEN")
    relay_a = postgres_relay(database_url, factory, "process-gen-a")
    relay_b = postgres_relay(database_url, factory, "process-gen-b")
    async with (
        bridge_process(relay_a) as here,
        bridge_process(relay_b) as there,
        charger(there.port, "CP-REL-GEN") as cp,
    ):
        await eventually(held_by(factory, "CP-REL-GEN", "process-gen-b", connected=True))
        cp.answers["GetLocalListVersion"] = {"listVersion": 7}
        call = commands.OcppCall(action="GetLocalListVersion", payload=msgspec.Raw(b"{}"))
        result = await here.send_command("CP-REL-GEN", call)
        assert isinstance(result, commands.OcppCallResult)
        assert msgspec.json.decode(bytes(result.payload)) == {"listVersion": 7}
        assert cp.received_commands[-1] == ("GetLocalListVersion", {})
        # checked on the holder against the charger's own version: 1.6 has no GetVariables, and types count
        with pytest.raises(errors.UnknownCommand):
            await here.send_command("CP-REL-GEN", commands.OcppCall(action="GetVariables"))
        bad = commands.OcppCall(action="ChangeAvailability", payload=msgspec.Raw(b'{"connectorId":"x"}'))
        with pytest.raises(errors.InvalidCommand):
            await here.send_command("CP-REL-GEN", bad)
        assert cp.received_commands[-1] == ("GetLocalListVersion", {})


@postgres_only
async def test_a_chargers_journal_is_read_from_the_process_holding_its_socket(
    database_url: str, factory: Factory
) -> None:
    await provision(factory, "CP-REL-JNL")
    relay_a = postgres_relay(database_url, factory, "process-jnl-a")
    relay_b = postgres_relay(database_url, factory, "process-jnl-b")
    async with bridge_process(relay_a) as here, bridge_process(relay_b) as there:
        async with charger(there.port, "CP-REL-JNL") as cp:
            await eventually(held_by(factory, "CP-REL-JNL", "process-jnl-b", connected=True))
            await cp.call("Heartbeat", {})
            notes = [uuid.uuid4().hex * 6 for _ in range(30)]  # a journal well over one notification
            for note in notes:
                await cp.call("DataTransfer", {"vendorId": "com.example", "data": note})
            await here.send_command("CP-REL-JNL", commands.ClearCache())

            journal = await here.read_journal("CP-REL-JNL", limit=50)
            assert journal is not None
            assert journal.connected
            assert not here.is_connected("CP-REL-JNL")  # read from process b, nothing sent to the charger
            assert len(journal.frames) == 50
            assert [(f.direction, f.message_type, f.action) for f in journal.frames[-2:]] == [
                ("csms->charger", "Call", "ClearCache"),
                ("charger->csms", "CallResult", "ClearCache"),
            ]
            transfers = [
                f.payload["data"] for f in journal.frames if f.action == "DataTransfer" and f.message_type == "Call"
            ]
            assert transfers[-3:] == notes[-3:]
            assert [name for name, _ in cp.received_commands] == ["ClearCache"]

        # Held nowhere now: the process it disconnected from keeps its journal, the other has none.
        await eventually(held_by(factory, "CP-REL-JNL", None, connected=False))
        assert await here.read_journal("CP-REL-JNL") is None
        kept = await there.read_journal("CP-REL-JNL", limit=2)
        assert kept is not None
        assert not kept.connected
        assert [f.action for f in kept.frames] == ["ClearCache", "ClearCache"]
        assert [change.event for change in kept.connections] == ["connected", "disconnected"]
