"""Charger performance on SQLite and PostgreSQL: baselines move on as sessions end, a connector capping at 20 kW
is flagged after three sessions and reported once, clears with a normal session, a limit of ours is no derating,
a meter going backwards is an energy anomaly, and the operations API shows it all (and hides nothing wrongly)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import (
    ChargingProfileRecord,
    ChargingStation,
    ChargingTransaction,
    MeterSampleRecord,
    PowerBaseline,
    SessionPerformance,
)
from api.domain.chargers.provisioning import add_charger
from api.domain.drivers.commands import add_user
from api.domain.operations.conditions import DEFAULT_RULES, ConditionReport, StaticRuleBook
from api.domain.operations.fleet import FleetPatterns
from api.domain.operations.performance import PerformanceMonitor
from tests.support import make_settings

PASSWORD = "correct horse battery"


class RecordingSink:
    """Our own `ConditionSink`: keeps what it is told."""

    def __init__(self) -> None:
        self.reports: list[ConditionReport] = []

    async def report(self, condition: ConditionReport) -> None:
        self.reports.append(condition)


async def dc_charger(session: AsyncSession, ocpp_id: str, *, dc: bool = True, kw: int = 50) -> uuid.UUID:
    station, _ = await add_charger(
        session,
        ocpp_id=ocpp_id,
        password="performance-charger-secret",
        country_code="NL",
        party_id="VWY",
        standard="IEC_62196_T2_COMBO" if dc else "IEC_62196_T2",
        max_power_kw=Decimal(kw),
        coordinates=(52.37, 4.9),
    )
    await session.commit()
    return station.id


async def ended_session(
    factory: async_sessionmaker[AsyncSession],
    station_id: uuid.UUID,
    powers_kw: list[float],
    *,
    started: datetime,
    soc_from: float = 20.0,
    energies: list[float] | None = None,
) -> uuid.UUID:
    """An ended transaction with a reading a minute, the register moving by power x time."""
    transaction_id = uuid.uuid4()
    async with factory() as session, session.begin():
        energy = 1_000_000.0
        rows = []
        for n, kw in enumerate(powers_kw):
            at = started + timedelta(minutes=n)
            rows.append(
                {
                    "transaction_id": transaction_id,
                    "timestamp": at,
                    "at": at,
                    "energy_wh": energies[n] if energies else energy,
                    "power_w": kw * 1000,
                    "soc_percent": soc_from + 3 * n,
                }
            )
            energy += kw * 1000 / 60
        ended = started + timedelta(minutes=len(powers_kw))
        await session.execute(
            insert(ChargingTransaction).values(
                id=transaction_id,
                charging_station_id=station_id,
                connector_id=1,
                ocpp_transaction_id=str(transaction_id)[:8],
                started_at=started,
                ended_at=ended,
                meter_start_wh=1_000_000.0,
                meter_stop_wh=energy,
                energy_wh=energy - 1_000_000.0,
                status="ended",
                updated_at=ended,
            )
        )
        await session.execute(insert(MeterSampleRecord), rows)
    return transaction_id


async def test_baselines_move_on_and_a_capping_connector_is_flagged_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        station_id = await dc_charger(session, "PERF-DC-1")
    sink = RecordingSink()
    monitor = PerformanceMonitor(sessions, StaticRuleBook(DEFAULT_RULES), sink)
    now = datetime.now(UTC)
    start = now - timedelta(days=2)

    for n in range(3):  # normal: 50 kW from 20 % up
        judged = await monitor.judge(await ended_session(sessions, station_id, [48, 50, 50, 50, 50], started=start))
        assert judged is not None
        assert judged.judged
        assert not judged.derating
        start += timedelta(hours=2)
        assert n == 2 or sink.reports == []
    async with sessions() as session:
        baselines = (await session.execute(select(PowerBaseline).order_by(PowerBaseline.soc_band))).scalars().all()
    assert [(b.soc_band, b.sessions, round(b.power_w)) for b in baselines] == [(20, 3, 50_000)]
    assert sink.reports == []

    for n in range(3):  # then it caps at 20 kW below 60 %: flagged at the third session, reported once
        tid = await ended_session(sessions, station_id, [12, 20, 20, 20, 20], started=start)
        judged = await monitor.judge(tid)
        assert judged is not None
        assert judged.derating
        assert judged.basis == "rating"
        start += timedelta(hours=2)
        assert len(sink.reports) == (1 if n == 2 else 0)
    [flagged] = sink.reports
    assert (flagged.rule, flagged.charger_id, flagged.connector_id, flagged.active) == (
        "derating",
        "PERF-DC-1",
        1,
        True,
    )
    assert flagged.detail["delivered"] == "20.0 kW"
    assert flagged.detail["expected"] == "50.0 kW"
    assert await monitor.judge(tid) is None  # judged once: a second call changes nothing
    async with sessions() as session:
        baselines = (await session.execute(select(PowerBaseline))).scalars().all()
    assert [b.sessions for b in baselines] == [3]  # derating sessions teach the baseline nothing

    # a deliberate limit of ours (11 kW TxDefaultProfile) keeps it low: no derating, the flag stays as it was
    async with sessions() as session, session.begin():
        await session.execute(
            insert(ChargingProfileRecord).values(
                charging_station_id=station_id,
                evse_id=1,
                profile_id=7,
                stack_level=0,
                purpose="TxDefaultProfile",
                kind="Absolute",
                source="csms",
                status="Accepted",
                profile={
                    "id": 7,
                    "stackLevel": 0,
                    "chargingProfilePurpose": "TxDefaultProfile",
                    "chargingProfileKind": "Absolute",
                    "chargingSchedule": [
                        {"chargingRateUnit": "W", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 11000}]}
                    ],
                },
                created_at=start - timedelta(hours=1),
                updated_at=start - timedelta(hours=1),
            )
        )
    limited = await monitor.judge(await ended_session(sessions, station_id, [11, 11, 11, 11], started=start))
    assert limited is not None
    assert limited.limited
    assert not limited.derating
    assert [r.active for r in sink.reports] == [True, False]  # a normal (limited) session clears it
    start += timedelta(hours=2)


async def test_a_meter_going_backwards_is_an_energy_anomaly_until_a_clean_session(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        station_id = await dc_charger(session, "PERF-DC-2")
    sink = RecordingSink()
    monitor = PerformanceMonitor(sessions, StaticRuleBook(DEFAULT_RULES), sink)
    start = datetime.now(UTC) - timedelta(hours=5)
    broken = await ended_session(
        sessions, station_id, [50, 50, 50, 50], started=start, energies=[5000.0, 5800.0, 2000.0, 2800.0]
    )
    judged = await monitor.judge(broken)
    assert judged is not None
    assert [a["kind"] for a in judged.anomalies] == ["register_backwards"]
    [anomaly] = sink.reports
    assert (anomaly.rule, anomaly.active, anomaly.detail["kind"]) == ("energy_anomaly", True, "register_backwards")
    await monitor.judge(await ended_session(sessions, station_id, [50] * 8, started=start + timedelta(hours=1)))
    assert [(r.rule, r.active) for r in sink.reports] == [("energy_anomaly", True), ("energy_anomaly", False)]


async def test_the_same_fault_on_three_chargers_of_one_model_and_firmware_is_a_fleet_pattern(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        ids = [await dc_charger(session, f"FLEET-{n}") for n in range(4)]
        for n, station_id in enumerate(ids):
            station = await session.get(ChargingStation, station_id)
            assert station is not None
            station.vendor, station.model = "Acme", "FastOne"
            station.firmware_version = "2.1.0" if n < 3 else "2.0.9"
        await session.commit()
    sink = RecordingSink()
    fleet = FleetPatterns(sessions, StaticRuleBook(DEFAULT_RULES), sink)
    at = datetime.now(UTC)
    await fleet.fault_seen(ids[0], "GroundFailure", at)
    await fleet.fault_seen(ids[0], "GroundFailure", at)  # the same charger again counts once
    await fleet.fault_seen(ids[3], "GroundFailure", at)  # another firmware: not the same pattern
    await fleet.fault_seen(ids[1], "GroundFailure", at)
    assert sink.reports == []
    await fleet.fault_seen(ids[2], "GroundFailure", at)
    [pattern] = sink.reports
    assert (pattern.rule, pattern.charger_id, pattern.active) == ("fleet_fault_pattern", None, True)
    assert pattern.detail["chargers"] == "FLEET-0, FLEET-1, FLEET-2"
    assert pattern.subject == pattern.detail["pattern"]  # what tells this pattern's alert from the others'
    assert pattern.detail["pattern"] == "Acme FastOne / firmware 2.1.0 / GroundFailure"
    await fleet.sweep()
    assert len(sink.reports) == 1  # still within the window


async def _admin(client: AsyncTestClient[Litestar], database_url: str) -> dict[str, str]:
    await add_user(
        make_settings(database_url=database_url), email="ops@example.com", password=PASSWORD, role="admin", name="Ops"
    )
    tokens = (await client.post("/v1/auth/login", json={"email": "ops@example.com", "password": PASSWORD})).json()
    return {"Authorization": f"Bearer {tokens['accessToken']}"}


async def test_the_operations_api_shows_baselines_sessions_and_the_connectors_derating_now(
    sessions: async_sessionmaker[AsyncSession], client: AsyncTestClient[Litestar], database_url: str
) -> None:
    async with sessions() as session:
        station_id = await dc_charger(session, "PERF-API-1")
        await dc_charger(session, "PERF-API-2")
    monitor = PerformanceMonitor(sessions, StaticRuleBook(DEFAULT_RULES))
    start = datetime.now(UTC) - timedelta(days=1)
    for n in range(3):
        await monitor.judge(await ended_session(sessions, station_id, [20] * 5, started=start + timedelta(hours=n)))
    headers = await _admin(client, database_url)

    answer = await client.get("/v1/admin/chargers/PERF-API-1/performance", headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    [connector] = body["connectors"]
    assert (connector["connectorId"], connector["ratingKw"], connector["dc"]) == (1, 50.0, True)
    assert [f["rule"] for f in connector["findings"] if f["active"]] == ["derating"]
    assert len(body["sessions"]) == 3
    assert {(s["deliveredKw"], s["expectedKw"], s["derating"]) for s in body["sessions"]} == {(20.0, 50.0, True)}

    listed = await client.get("/v1/admin/derating", headers=headers)
    assert listed.status_code == 200
    assert [(c["chargerId"], c["connectorId"], c["ratio"]) for c in listed.json()] == [("PERF-API-1", 1, 0.4)]

    missing = await client.get("/v1/admin/chargers/NO-SUCH/performance", headers=headers)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    anonymous = await client.get("/v1/admin/derating")
    assert anonymous.status_code == 401
    async with sessions() as session:
        judged = (await session.execute(select(SessionPerformance))).scalars().all()
    assert len(judged) == 3


async def _signed_in(client: AsyncTestClient[Litestar], database_url: str, email: str, role: str) -> dict[str, str]:
    await add_user(make_settings(database_url=database_url), email=email, password=PASSWORD, role=role, name=role)  # type: ignore[arg-type]
    tokens = (await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})).json()
    return {"Authorization": f"Bearer {tokens['accessToken']}"}


async def test_an_operator_sees_the_performance_of_their_own_sites_only(
    sessions: async_sessionmaker[AsyncSession], client: AsyncTestClient[Litestar], database_url: str
) -> None:
    async with sessions() as session:
        north = await dc_charger(session, "NORTH-DC-1")
        south = await dc_charger(session, "SOUTH-DC-1")
        north_site = (await session.get(ChargingStation, north)).location_id  # type: ignore[union-attr]
    monitor = PerformanceMonitor(sessions, StaticRuleBook(DEFAULT_RULES))
    start = datetime.now(UTC) - timedelta(days=1)
    for n in range(3):  # both derate
        for station_id in (north, south):
            await monitor.judge(await ended_session(sessions, station_id, [20] * 5, started=start + timedelta(hours=n)))
    admin = await _signed_in(client, database_url, "admin@example.com", "admin")
    operator = await _signed_in(client, database_url, "operator@example.com", "operator")
    region = (await client.post("/v1/admin/regions", json={"name": "North"}, headers=admin)).json()
    placed = await client.put(
        f"/v1/admin/locations/{north_site}/organisation", json={"regionId": region["id"]}, headers=admin
    )
    assert placed.status_code == 200, placed.text
    me = (await client.get("/v1/me", headers=operator)).json()
    granted = await client.put(
        f"/v1/admin/operators/{me['id']}/scope", json={"regionIds": [region["id"]]}, headers=admin
    )
    assert granted.status_code == 200, granted.text

    listed = (await client.get("/v1/admin/derating", headers=operator)).json()
    assert [c["chargerId"] for c in listed] == ["NORTH-DC-1"]
    everything = (await client.get("/v1/admin/derating", headers=admin)).json()
    assert sorted(c["chargerId"] for c in everything) == ["NORTH-DC-1", "SOUTH-DC-1"]
    assert (await client.get("/v1/admin/chargers/NORTH-DC-1/performance", headers=operator)).status_code == 200
    other = await client.get("/v1/admin/chargers/SOUTH-DC-1/performance", headers=operator)
    assert other.status_code == 404  # another operator's site is not there for them
    agent = await _signed_in(client, database_url, "agent@example.com", "agent")
    assert (await client.get("/v1/admin/derating", headers=agent)).status_code == 403
