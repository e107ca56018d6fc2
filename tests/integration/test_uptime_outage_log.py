"""The outage log built from real status and connection events, as the bridge's backend writes them, on SQLite and
PostgreSQL: a fault opens an interval with its OCPP error code, a lost connection takes over every port, coming
back closes it, and changes written by other paths (maintenance) are caught by the sweep."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import Evse, PortOutage
from api.domain.chargers.backend import CsmsService
from api.domain.chargers.live_writer import LiveStateWriter
from api.domain.chargers.meter_writer import MeterSampleWriter
from api.domain.uptime.outage_log import OutageLog
from ocpp_bridge.events import StatusChanged
from tests.integration.uptime_support import Port, charger

Factory = async_sessionmaker[AsyncSession]
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
PROCESS = "process-a"


@pytest.fixture
async def service(sessions: Factory) -> AsyncIterator[CsmsService]:
    csms = CsmsService(
        sessions,
        heartbeat_interval=60,
        meter_writer=MeterSampleWriter(sessions, flush_seconds=60),
        live_writer=LiveStateWriter(sessions, flush_seconds=60),  # flushed by hand below
    )
    csms.live.on_ports_changed = OutageLog(sessions).ports_changed
    await csms.live.start()
    await csms.start()
    yield csms
    await csms.stop()
    await csms.live.stop()


def status(connector: int, value: str, at: datetime, **extra: Any) -> StatusChanged:
    return StatusChanged(
        charger_id="CP-L",
        ocpp_version="1.6",
        message_id=uuid.uuid4().hex,
        received_at=at,
        connector_id=connector,
        status=value,
        timestamp=at,
        **extra,
    )


async def log(sessions: Factory, port: Port) -> list[tuple[str, str | None, bool]]:
    """(cause, error code, still open) of the port's intervals, oldest first."""
    async with sessions() as session:
        rows = await session.execute(
            select(PortOutage.cause, PortOutage.error_code, PortOutage.ended_at.is_(None))
            .where(PortOutage.evse_id == port.evse_id)
            .order_by(PortOutage.started_at, PortOutage.ended_at.is_(None))
        )
        return [(cause, error, bool(still_open)) for cause, error, still_open in rows]


async def test_faults_and_a_lost_connection_make_the_log(sessions: Factory, service: CsmsService) -> None:
    first, second = await charger(sessions, "CP-L")
    service.live.attached("CP-L", PROCESS, "1.6")
    await service.on_event(status(1, "Available", T0))
    await service.on_event(status(2, "Available", T0))
    await service.live.flush()
    assert await log(sessions, first) == []
    assert await log(sessions, second) == []

    await service.on_event(status(1, "Faulted", T0 + timedelta(minutes=10), error_code="GroundFailure"))
    await service.live.flush()
    assert await log(sessions, first) == [("fault", "GroundFailure", True)]
    async with sessions() as session:
        started = (await session.execute(select(PortOutage.started_at))).scalar_one()
    assert started == T0 + timedelta(minutes=10)  # the charger's own time, not when it was written

    service.live.detached("CP-L", PROCESS)
    await service.live.flush()
    assert await log(sessions, first) == [("fault", "GroundFailure", False), ("offline", None, True)]
    assert await log(sessions, second) == [("offline", None, True)]

    service.live.attached("CP-L", PROCESS, "1.6")  # back, the first port still faulted
    await service.live.flush()
    assert await log(sessions, first) == [
        ("fault", "GroundFailure", False),
        ("offline", None, False),
        ("fault", "GroundFailure", True),
    ]
    assert await log(sessions, second) == [("offline", None, False)]

    await service.on_event(status(1, "Available", datetime.now(UTC)))
    await service.live.flush()
    assert [still_open for *_, still_open in await log(sessions, first)] == [False, False, False]
    async with sessions() as session:
        intervals = (await session.execute(select(PortOutage.started_at, PortOutage.ended_at))).all()
    assert all(end is not None and end >= start for start, end in intervals)


async def test_the_sweep_records_maintenance_and_repeats_harmlessly(sessions: Factory) -> None:
    (port,) = await charger(sessions, "CP-M", ports=1)
    outages = OutageLog(sessions)
    began = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    async with sessions() as session, session.begin():
        await session.execute(
            update(Evse)
            .where(Evse.id == port.evse_id)
            .values(status="INOPERATIVE", status_source="maint", status_updated_at=began)
        )
    await outages.sweep()
    await outages.sweep()  # another process sweeping too changes nothing
    async with sessions() as session:
        rows = (await session.execute(select(PortOutage.cause, PortOutage.started_at, PortOutage.ended_at))).all()
    assert rows == [("maintenance", began, None)]

    async with sessions() as session, session.begin():
        await session.execute(
            update(Evse)
            .where(Evse.id == port.evse_id)
            .values(status="AVAILABLE", status_source="live", status_updated_at=began + timedelta(minutes=20))
        )
    await outages.sweep()
    async with sessions() as session:
        ((cause, ended),) = (await session.execute(select(PortOutage.cause, PortOutage.ended_at))).all()
    assert (cause, ended) == ("maintenance", began + timedelta(minutes=20))


async def test_two_processes_sweeping_at_once_open_one_interval(sessions: Factory, database_url: str) -> None:
    """Each process sweeps on its own timer; two sweeps of the same change at the same moment, each on its own
    connection pool (as two processes would), leave one open interval, not two."""
    from api.db.engine import create_engine, create_session_factory

    (port,) = await charger(sessions, "CP-TWO", ports=1)
    async with sessions() as session, session.begin():
        await session.execute(
            update(Evse)
            .where(Evse.id == port.evse_id)
            .values(status="OUTOFORDER", ocpp_status="Faulted", error_code="HighTemperature")
        )
    engines = [create_engine(database_url) for _ in range(2)]
    try:
        logs = [OutageLog(create_session_factory(engine)) for engine in engines]
        for _ in range(3):
            await asyncio.gather(*(log.sweep() for log in logs))
    finally:
        for engine in engines:
            await engine.dispose()
    async with sessions() as session:
        rows = (await session.execute(select(PortOutage.cause, PortOutage.error_code, PortOutage.ended_at))).all()
    assert rows == [("fault", "HighTemperature", None)]
