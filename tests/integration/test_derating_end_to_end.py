"""Derating end to end on SQLite and PostgreSQL: the app with its OCPP bridge, two simulated 50 kW DC chargers over
real websockets, one capping at 20 kW on purpose; after three sessions each, only that one is flagged, reported to
the alert sink and listed for operators."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from sqlalchemy import func, select

from api.db.engine import create_engine, create_session_factory
from api.db.models import MeterSampleRecord
from api.domain.chargers.provisioning import add_charger, add_token
from api.domain.drivers.commands import add_user
from ocpp_bridge.simulator import ChargerRating, SimulatedCharger, Simulation, SimulatorConfig
from tests.integration.test_charger_performance import RecordingSink
from tests.integration.test_sessions import running, served_app
from tests.support import make_settings, wait_for

PASSWORD = "derating-charger-secret"
ADMIN_PASSWORD = "correct horse battery"
DERATING, NORMAL = "PERF-00001", "PERF-00002"
SESSIONS = 3
READINGS = 5


async def _provision(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            for n, ocpp_id in enumerate((DERATING, NORMAL), start=1):
                await add_charger(
                    session,
                    ocpp_id=ocpp_id,
                    password=PASSWORD,
                    country_code="NL",
                    party_id="VWY",
                    standard="IEC_62196_T2_COMBO",
                    max_power_kw=Decimal(50),
                    coordinates=(52.37 + n / 1000, 4.9),
                )
            await session.commit()
            await add_token(session, "RFIDCARD01", driver_email=None)
            await session.commit()
    finally:
        await engine.dispose()


async def _samples(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(select(func.count()).select_from(MeterSampleRecord))).scalar_one())
    finally:
        await engine.dispose()


async def _charge_once(charger: SimulatedCharger, database_url: str) -> None:
    """A driver's session: the card presented, a few meter readings, then stopped."""
    before = await _samples(database_url)
    charger.remote_start = "RFIDCARD01"
    charger.wake.set()
    await wait_for(lambda: _more_samples(database_url, before + READINGS), "meter readings of the session")
    charger.remote_stop = True
    charger.wake.set()

    async def stopped() -> bool:
        return charger.transaction_id is None and charger.status == "Available"

    await wait_for(stopped, "the session to end")


async def _more_samples(database_url: str, count: int) -> bool:
    return await _samples(database_url) >= count


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_only_the_charger_that_derates_on_purpose_is_flagged(database_url: str, version: str) -> None:
    """1.6: judged against the DC rating, flagged after three sessions; 2.0.1 with the car's request
    (NotifyEVChargingNeeds): the car said it takes more, so the first capped session is a clear case."""
    await _provision(database_url)
    await add_user(
        make_settings(database_url=database_url),
        email="ops@example.com",
        password=ADMIN_PASSWORD,
        role="admin",
        name="Ops",
    )
    sink = RecordingSink()
    async with served_app(database_url) as (app, base, ocpp_url):
        app.state.performance.sink = sink
        config = SimulatorConfig(
            url=ocpp_url,
            chargers=2,
            ocpp_version=version,  # type: ignore[arg-type]
            ev_charging_needs=version == "2.0.1",
            id_prefix="PERF-",
            password=PASSWORD,
            duration=None,
            speed=1.0,  # real time: energy is power x the time between the stamped readings
            meter_interval=0.2,
            arrival_rate=0.0,
            fault_rate=0.0,
            disconnect_rate=0.0,
            ratings={DERATING: ChargerRating(50_000.0, dc=True), NORMAL: ChargerRating(50_000.0, dc=True)},
            derate={DERATING: 20_000.0},
        )
        async with running(Simulation(config)) as simulation, httpx.AsyncClient(timeout=10) as client:
            chargers = {charger.charger_id: charger for charger in simulation.chargers}

            async def booted() -> bool:
                return all(c.booted and c.status == "Available" for c in chargers.values())

            await wait_for(booted, "both chargers booted")
            tokens = (
                await client.post(
                    f"{base}/v1/auth/login", json={"email": "ops@example.com", "password": ADMIN_PASSWORD}
                )
            ).json()
            admin = {"Authorization": f"Bearer {tokens['accessToken']}"}

            for _ in range(SESSIONS):
                for charger in chargers.values():
                    await _charge_once(charger, database_url)

            async def all_judged() -> bool:
                for ocpp_id in chargers:
                    answer = await client.get(f"{base}/v1/admin/chargers/{ocpp_id}/performance", headers=admin)
                    if len(answer.json()["sessions"]) < SESSIONS:
                        return False
                return True

            await wait_for(all_judged, "every session judged")
            flagged = (await client.get(f"{base}/v1/admin/derating", headers=admin)).json()
            assert [(c["chargerId"], c["connectorId"]) for c in flagged] == [(DERATING, 1)]
            assert flagged[0]["detail"]["delivered"] == "20.0 kW"
            assert flagged[0]["detail"]["expected"] == "50.0 kW"

            normal = (await client.get(f"{base}/v1/admin/chargers/{NORMAL}/performance", headers=admin)).json()
            derating = (await client.get(f"{base}/v1/admin/chargers/{DERATING}/performance", headers=admin)).json()
            assert {s["derating"] for s in normal["sessions"]} == {False}
            assert {s["deliveredKw"] for s in normal["sessions"]} == {50.0}
            # each session's car arrived at another state of charge: together they taught the bands they charged in
            assert sum(b["sessions"] for b in normal["connectors"][0]["baseline"]) >= SESSIONS
            assert {b["powerKw"] for b in normal["connectors"][0]["baseline"]} == {50.0}
            assert derating["connectors"][0]["baseline"] == []  # derating sessions teach it nothing
            assert {(s["deliveredKw"], s["expectedKw"], s["derating"]) for s in derating["sessions"]} == {
                (20.0, 50.0, True)
            }
            assert {s["basis"] for s in derating["sessions"]} == {"rating" if version == "1.6" else "ev_request"}
            assert all(s["anomalies"] == [] for s in [*normal["sessions"], *derating["sessions"]])

    reports = [(r.rule, r.charger_id, r.active) for r in sink.reports]
    assert reports == [("derating", DERATING, True)]
