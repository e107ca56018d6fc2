"""The bridge's database backend on SQLite and PostgreSQL: what chargers report is stored once, in order."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from api.db.engine import create_engine, create_session_factory
from api.db.models import ChargerLogEntry, ChargingStation, ChargingTransaction, Evse, MeterSampleRecord
from api.domain.chargers.backend import CsmsService
from api.domain.chargers.meter_writer import MeterSampleWriter
from api.domain.chargers.provisioning import add_charger, add_token, block_token
from ocpp_bridge.events import (
    AuthorizationRequested,
    ChargerBooted,
    IdToken,
    MeterSample,
    MeterValuesReceived,
    SecurityEventReceived,
    StatusChanged,
    TransactionEnded,
    TransactionStarted,
)

# Relative to the day the tests run; the charger was provisioned a day before (see `service`).
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
LATENCY = timedelta(milliseconds=200)
SECRET = "a-long-charger-secret"


def message(n: int, arrived: datetime = T0) -> dict[str, Any]:
    """The envelope of a charger's message that reached us at `arrived`."""
    return {"charger_id": "CP-1", "ocpp_version": "1.6", "message_id": f"m{n}", "received_at": arrived + LATENCY}


@pytest.fixture
async def service(database_url: str) -> AsyncIterator[CsmsService]:
    engine = create_engine(database_url)
    factory = create_session_factory(engine)
    async with factory() as session:
        await add_charger(
            session, ocpp_id="CP-1", password=SECRET, country_code="NL", party_id="VWY", evses=2,
            coordinates=(52.0, 5.0),
        )  # fmt: skip
        await add_token(session, "CARD-OK", driver_email=None)
        await add_token(session, "CARD-BLOCKED", driver_email=None)
        await block_token(session, "CARD-BLOCKED")
        await session.execute(update(ChargingStation).values(created_at=T0 - timedelta(days=1)))
        await session.commit()
    csms = CsmsService(factory, heartbeat_interval=120, meter_writer=MeterSampleWriter(factory, flush_seconds=60))
    await csms.start()
    yield csms
    await csms.stop()
    await engine.dispose()


async def scalar(service: CsmsService, query: object) -> object:
    async with service._session_factory() as session:
        return (await session.execute(query)).scalar_one()  # type: ignore[call-overload]


async def test_credentials_boot_and_authorisation(service: CsmsService) -> None:
    assert await service.check_credentials("CP-1", SECRET)
    assert not await service.check_credentials("CP-1", "wrong-secret-of-length")
    assert not await service.check_credentials("CP-1", None)
    assert not await service.check_credentials("CP-404", SECRET)

    reply = await service.on_charger_booted(
        ChargerBooted(**message(1), vendor="Alfen", model="Eve Double", firmware_version="6.1")
    )
    assert (reply.status, reply.interval) == ("Accepted", 120)
    await service.live.flush()  # boot details are written with the next batch
    assert await scalar(service, select(ChargingStation.vendor)) == "Alfen"

    def ask(uid: str) -> AuthorizationRequested:
        return AuthorizationRequested(**message(2), id_token=IdToken(uid))

    assert (await service.on_authorization_requested(ask("CARD-OK"))).status == "Accepted"
    assert (await service.on_authorization_requested(ask("CARD-BLOCKED"))).status == "Blocked"
    assert (await service.on_authorization_requested(ask("CARD-UNKNOWN"))).status == "Invalid"


async def test_status_is_live_and_replays_do_not_go_back_in_time(service: CsmsService) -> None:
    newer = StatusChanged(
        **message(3, T0 + timedelta(minutes=5)), connector_id=1, status="Charging", timestamp=T0 + timedelta(minutes=5)
    )
    older = StatusChanged(**message(4, T0 + timedelta(minutes=6)), connector_id=1, status="Available", timestamp=T0)
    await service.on_event(newer)
    await service.on_event(older)  # replayed after a reconnect
    await service.live.flush()
    status, source, ocpp = (
        await scalar(service, select(func.min(Evse.status)).where(Evse.ocpp_evse_id == 1)),
        await scalar(service, select(func.min(Evse.status_source)).where(Evse.ocpp_evse_id == 1)),
        await scalar(service, select(func.min(Evse.ocpp_status)).where(Evse.ocpp_evse_id == 1)),
    )
    assert (status, source, ocpp) == ("CHARGING", "live", "Charging")

    fault = StatusChanged(
        **message(5),
        connector_id=2,
        status="Faulted",
        error_code="GroundFailure",
        timestamp=T0,
    )
    await service.on_event(fault)
    await service.live.flush()
    assert await scalar(service, select(func.min(Evse.status)).where(Evse.ocpp_evse_id == 2)) == "OUTOFORDER"
    assert await scalar(service, select(func.count()).select_from(ChargerLogEntry)) == 1


async def test_transactions_and_meter_values_are_counted_once(service: CsmsService) -> None:
    start = TransactionStarted(
        **message(6),
        connector_id=1,
        id_token=IdToken("CARD-OK"),
        meter_start_wh=1000.0,
        timestamp=T0,
    )
    first = await service.on_transaction_started(start)
    replayed = await service.on_transaction_started(start)
    assert first.transaction_id is not None
    assert replayed.transaction_id == first.transaction_id
    assert first.id_token_info is not None
    assert first.id_token_info.status == "Accepted"
    assert await scalar(service, select(func.count()).select_from(ChargingTransaction)) == 1

    samples = tuple(
        MeterSample(timestamp=T0 + timedelta(minutes=m), energy_wh=1000.0 + 500 * m, power_w=30_000.0, soc_percent=40.0)
        for m in range(1, 4)
    )
    values = MeterValuesReceived(
        **message(7, T0 + timedelta(minutes=3)),
        connector_id=1,
        transaction_id=str(first.transaction_id),
        samples=samples,
    )
    await service.on_event(values)
    await service.on_event(values)  # the same message again after a reconnect
    await service.meters.flush()
    assert await scalar(service, select(func.count()).select_from(MeterSampleRecord)) == 3
    assert await scalar(service, select(ChargingTransaction.energy_wh)) == 1500.0

    stop = TransactionEnded(
        **message(8, T0 + timedelta(minutes=10)), transaction_id=str(first.transaction_id), meter_stop_wh=3000.0,
        timestamp=T0 + timedelta(minutes=10), reason="EVDisconnected",
    )  # fmt: skip
    await service.on_transaction_ended(stop)
    await service.on_transaction_ended(stop)
    row = await scalar(service, select(ChargingTransaction))
    assert isinstance(row, ChargingTransaction)
    assert (row.status, row.energy_wh, row.stop_reason) == ("ended", 2000.0, "EVDisconnected")
    assert row.ended_at == T0 + timedelta(minutes=10)


async def test_buffered_samples_are_written_on_shutdown(database_url: str, service: CsmsService) -> None:
    started = await service.on_transaction_started(
        TransactionStarted(**message(9), connector_id=2, meter_start_wh=0.0, timestamp=T0)
    )
    await service.on_event(
        MeterValuesReceived(
            **message(10, T0 + timedelta(minutes=1)), connector_id=2, transaction_id=str(started.transaction_id),
            samples=(MeterSample(timestamp=T0 + timedelta(minutes=1), energy_wh=250.0),),
        )
    )  # fmt: skip
    assert service.meters.pending == 1
    await service.stop()  # as on process shutdown
    assert await scalar(service, select(func.count()).select_from(MeterSampleRecord)) == 1
    await service.start()


async def test_notifications_are_logged(service: CsmsService) -> None:
    await service.on_event(SecurityEventReceived(**message(11), kind="FirmwareUpdated", timestamp=T0))
    kinds = await scalar(service, select(func.min(ChargerLogEntry.kind)))
    assert kinds == "SecurityEventReceived"
