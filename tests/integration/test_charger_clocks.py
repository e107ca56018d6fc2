"""Chargers with wrong clocks, over real websockets on SQLite and PostgreSQL: two hours behind, three days ahead,
and reset to 1970 in the middle of a session. The map shows their live status, replays after a reconnect count
once, the bill equals the energy the meter reported, and the times a driver sees are real ones."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from api.db.engine import create_engine, create_session_factory
from api.db.models import ChargingSession, ChargingTransaction, Evse, MeterSampleRecord
from api.domain.chargers.provisioning import list_chargers
from ocpp_bridge.simulator import SimulatedCharger, Simulation, SimulatorConfig
from tests.integration.test_sessions import (
    PASSWORD,
    Network,
    _prepare,
    expected_bill,
    running,
    served_app,
    session_and_transaction,
    session_status,
)
from tests.support import wait_for

HOURS_2 = 2 * 3600.0
DAYS_3 = 3 * 86_400.0
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@contextlib.asynccontextmanager
async def skewed_network(database_url: str, clock_offset: float) -> AsyncIterator[Network]:
    """One charger whose clock is `clock_offset` seconds off from its first message on."""
    evse_uids = await _prepare(database_url, 1)
    async with served_app(database_url) as (app, base, ocpp_url):
        config = SimulatorConfig(
            url=ocpp_url,
            chargers=1,
            id_prefix="SES-",
            password=PASSWORD,
            duration=None,
            speed=60.0,  # a meter value every real second
            arrival_rate=0.0,
            fault_rate=0.0,
            disconnect_rate=0.0,
            meter_interval=60.0,
            clock_offset_seconds=clock_offset,
        )
        async with running(Simulation(config)) as simulation:
            yield Network(base, ocpp_url, database_url, evse_uids, [simulation], app)


async def map_status(client: httpx.AsyncClient, base: str) -> str | None:
    page = (await client.get(f"{base}/v1/stations", params={"lat": 52.37, "lon": 4.9, "radius": 20000})).json()
    statuses = [evse["status"] for item in page["items"] for evse in item["evses"]]
    return statuses[0] if statuses else None


async def wait_for_map(client: httpx.AsyncClient, base: str, status: str) -> None:
    async def shown() -> bool:
        return await map_status(client, base) == status

    await wait_for(shown, f"the map to show {status}")


def record_sent(charger: SimulatedCharger) -> list[tuple[str, str, dict[str, Any]]]:
    """Every (message id, action, payload) the charger sends, to send one again as after a lost answer."""
    sent: list[tuple[str, str, dict[str, Any]]] = []
    send = charger._send

    async def recording(message_id: str, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        sent.append((message_id, action, payload))
        return await send(message_id, action, payload)

    charger._send = recording  # type: ignore[method-assign]
    return sent


async def stored(database_url: str, session_id: str) -> tuple[ChargingSession, ChargingTransaction, int, int]:
    """The session, its transaction, its stored readings and how many distinct charger stamps they have."""
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            record, transaction = await session_and_transaction(session, session_id)
            rows = await session.execute(
                select(func.count(), func.count(func.distinct(MeterSampleRecord.timestamp))).where(
                    MeterSampleRecord.transaction_id == transaction.id
                )
            )
            count, distinct = rows.one()
            return record, transaction, count, distinct
    finally:
        await engine.dispose()


async def charger_clock(database_url: str) -> float | None:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            [charger] = await list_chargers(session)
            return charger.clock_offset_seconds
    finally:
        await engine.dispose()


async def evse_reported_at(database_url: str) -> datetime | None:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            return (
                await session.execute(select(Evse.status_reported_at).where(Evse.charging_station_id.is_not(None)))
            ).scalar_one()
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("clock_offset", "reset_mid_session"),
    [(-HOURS_2, False), (DAYS_3, False), (0.0, True)],
    ids=["two-hours-behind", "three-days-ahead", "reset-to-1970-mid-session"],
)
async def test_a_charger_with_a_wrong_clock_is_shown_live_and_billed_for_its_energy(
    database_url: str, clock_offset: float, reset_mid_session: bool
) -> None:
    async with skewed_network(database_url, clock_offset) as net, httpx.AsyncClient(timeout=10) as client:
        test_started = datetime.now(UTC)
        await wait_for_map(client, net.base, "AVAILABLE")
        charger = net.simulators[0].chargers[0]
        sent = record_sent(charger)
        headers = await net.driver(client, "skewed@example.com")
        started = await client.post(
            f"{net.base}/v1/sessions",
            json={"evseUid": net.evse_uids[0]},
            headers={"Idempotency-Key": str(uuid.uuid4()), **headers},
        )
        assert started.status_code == 202, started.text
        session_id = started.json()["id"]

        async def charging() -> bool:
            return await session_status(client, net.base, headers, session_id) == "charging"

        await wait_for(charging, "the charger to report the transaction")
        await wait_for_map(client, net.base, "CHARGING")

        async def readings(n: int) -> bool:
            return sum(1 for _, action, _ in sent if action == "MeterValues") >= n

        await wait_for(lambda: readings(3), "three meter values")
        if reset_mid_session:  # a power cut: the clock starts again at 1970
            charger.clock_offset = -(datetime.now(UTC) - EPOCH).total_seconds()
            await wait_for(lambda: readings(7), "meter values from the reset clock")

        # The connection drops; readings taken meanwhile are queued. The answer to the last reading before the
        # drop is lost too, so the charger sends that message again after the reconnect.
        before_drop = [entry for entry in sent if entry[1] == "MeterValues"][-1]
        charger.reconnect_now = True
        charger.wake.set()

        async def replayed() -> bool:
            return net.simulators[0].report.replayed > 0 or net.simulators[0].report.connections > 1

        await wait_for(replayed, "the charger to reconnect")
        after = sum(1 for _, action, _ in sent if action == "MeterValues") + 2
        await wait_for(lambda: readings(after), "readings after it")
        await charger._send(*before_drop)
        await wait_for_map(client, net.base, "CHARGING")

        stopped = await client.post(f"{net.base}/v1/sessions/{session_id}/stop", headers=headers)
        assert stopped.status_code == 202

        async def completed() -> bool:
            return await session_status(client, net.base, headers, session_id) == "completed"

        await wait_for(completed, "the session to be billed")
        await wait_for_map(client, net.base, "AVAILABLE")
        view = (await client.get(f"{net.base}/v1/sessions/{session_id}", headers=headers)).json()
        record, transaction, count, distinct = await stored(database_url, session_id)

    # Each reading is stored once, though one came twice.
    assert count == distinct
    assert count >= 5
    # The bill is for exactly the energy the meter reported, priced over the readings as they happened.
    assert transaction.meter_stop_wh is not None
    assert transaction.meter_start_wh is not None
    reported_kwh = Decimal(repr(transaction.meter_stop_wh - transaction.meter_start_wh)) / 1000
    assert reported_kwh > 0
    assert abs(Decimal(view["energyKwh"]) - reported_kwh) < Decimal("0.001")
    amount_due, _ = await expected_bill(database_url, session_id)
    assert Decimal(view["cost"]["amount"]) == amount_due
    # What the driver sees happened now, not two hours, three days or fifty-six years ago.
    now = datetime.now(UTC)
    for moment in (transaction.started_at, transaction.ended_at, record.started_at, record.ended_at):
        assert moment is not None
        assert test_started - timedelta(seconds=5) <= moment <= now + timedelta(seconds=5), moment
    assert transaction.started_at < transaction.ended_at  # type: ignore[operator]
    reported = await evse_reported_at(database_url)
    assert reported is not None
    assert test_started - timedelta(seconds=5) <= reported <= now + timedelta(seconds=5)
    # The operator sees how far off the clock is.
    offset = await charger_clock(database_url)
    assert offset is not None
    expected = clock_offset if not reset_mid_session else -(now - EPOCH).total_seconds()
    assert abs(offset - expected) < 120
