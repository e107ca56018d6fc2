"""Operators' metrics from sessions finished through the real paths (billing, failed starts), on both databases:
the figures asserted are the ones an operator would work out by hand from the history, the rollups equal a
computation from scratch, and an operator sees only their own sites."""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import random
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import (
    ChargerHours,
    ChargerRollup,
    ChargingSession,
    ChargingStation,
    ChargingTransaction,
    Evse,
    MeterSampleRecord,
)
from api.db.models.metrics import HOUR_COLUMNS
from api.db.types import utc_now
from api.domain.chargers.provisioning import add_charger
from api.domain.drivers.commands import add_user
from api.domain.operations.metrics.rollups import rebuild
from api.security.tokens import Role
from api.services import Services
from tests.integration.conftest import ClientFactory
from tests.support import make_settings

Client = AsyncTestClient[Litestar]
T = TypeVar("T")
STAFF_PASSWORD = "a staff password 123"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NEW_YORK = ZoneInfo("America/New_York")
NOT_STARTED = "The charger did not start charging within 60 seconds."
DECLINED = "Payment declined: the card was declined"


def tariff(currency: str, per_kwh: float) -> dict[str, Any]:
    return {
        "id": f"M-{currency}",
        "currency": currency,
        "elements": [{"price_components": [{"type": "ENERGY", "price": per_kwh, "step_size": 1}]}],
    }


class Network:
    """The app under test, chargers provisioned in its database, and sessions finished on its event loop."""

    def __init__(self, client: Client, factory: async_sessionmaker[AsyncSession]) -> None:
        self.client = client
        self.services: Services = client.app.state.services
        self.factory = factory  # the test's own engine: the app's lives on the app's event loop

    async def on_app(self, function: Callable[..., Awaitable[T]], *args: Any) -> T:
        async def call() -> T:
            return await function(*args)

        return await asyncio.to_thread(self.client.blocking_portal.call, call)

    async def charger(
        self, ocpp_id: str, *, evses: int, model: str, zone: str, location_id: uuid.UUID | None = None
    ) -> tuple[uuid.UUID, uuid.UUID]:
        """(station id, location id) of a new charger with `evses` ports."""
        async with self.factory() as session:
            station, _ = await add_charger(
                session,
                ocpp_id=ocpp_id,
                password="a charger secret 123",
                country_code="NL",
                party_id="VWY",
                evses=evses,
                location_id=location_id,
                time_zone=zone,
                name=f"Site of {ocpp_id}",
            )
            await session.execute(update(ChargingStation).where(ChargingStation.id == station.id).values(model=model))
            await session.commit()
            return station.id, station.location_id

    async def _evse(self, station_id: uuid.UUID) -> tuple[uuid.UUID, str]:
        async with self.factory() as session:
            evse = (
                (await session.execute(select(Evse).where(Evse.charging_station_id == station_id).order_by(Evse.uid)))
                .scalars()
                .first()
            )
            location = (await session.get(ChargingStation, station_id)).location_id  # type: ignore[union-attr]
            assert evse is not None
            return evse.id, str(location)

    async def finished(
        self,
        station_id: uuid.UUID,
        driver: str,
        start: datetime,
        *,
        minutes: int,
        kwh: float,
        delivering: int,
        currency: str = "EUR",
        per_kwh: float = 0.40,
        zone: ZoneInfo = AMSTERDAM,
    ) -> uuid.UUID:
        """A session billed as billing bills it: readings every minute, energy rising for `delivering` minutes."""
        evse_id, location = await self._evse(station_id)
        async with self.factory() as session, session.begin():
            transaction = ChargingTransaction(
                id=uuid.uuid4(),
                charging_station_id=station_id,
                evse_id=evse_id,
                connector_id=1,
                ocpp_transaction_id=str(uuid.uuid4().int % 10**9),
                id_token=driver,
                started_at=start,
                ended_at=start + timedelta(minutes=minutes),
                meter_start_wh=1000.0,
                meter_stop_wh=1000.0 + kwh * 1000,
                energy_wh=kwh * 1000,
                status="ended",
            )
            session.add(transaction)
            await session.flush()
            for minute in range(1, minutes):
                moment = start + timedelta(minutes=minute)
                energy = 1000.0 + kwh * 1000 * min(minute, delivering) / delivering
                session.add(
                    MeterSampleRecord(transaction_id=transaction.id, timestamp=moment, at=moment, energy_wh=energy)
                )
            record = ChargingSession(
                id=uuid.uuid4(),
                source="rfid",
                location_id=uuid.UUID(location),
                evse_id=evse_id,
                charging_station_id=station_id,
                connector_id=1,
                id_token=driver,
                transaction_id=transaction.id,
                status="stopping",
                tariff=tariff(currency, per_kwh),
                time_zone=str(zone),
                currency=currency,
                created_at=start,
                started_at=start,
                updated_at=start + timedelta(minutes=minutes),
            )
            session.add(record)
        await self.on_app(self.services.sessions.bill, record.id)
        return record.id

    async def failed(self, station_id: uuid.UUID, at: datetime, reason: str, zone: ZoneInfo = AMSTERDAM) -> None:
        """A start asked at `at` that fails with `reason`, through the sessions' own failure path."""
        evse_id, location = await self._evse(station_id)
        async with self.factory() as session, session.begin():
            record = ChargingSession(
                id=uuid.uuid4(),
                source="rfid",
                location_id=uuid.UUID(location),
                evse_id=evse_id,
                charging_station_id=station_id,
                connector_id=1,
                id_token="FAILED-START",
                status="starting",
                time_zone=str(zone),
                currency="EUR",
                created_at=at,
                updated_at=at,
            )
            session.add(record)
        assert await self.on_app(self.services.sessions._fail, record.id, reason)


@pytest.fixture
async def network(client_factory: ClientFactory, sessions: async_sessionmaker[AsyncSession]) -> Network:
    return Network(await client_factory(), sessions)


async def admin_headers(network: Network, database_url: str) -> dict[str, str]:
    settings = make_settings(database_url=database_url)
    await add_user(settings, email="olga@example.com", password=STAFF_PASSWORD, role="admin", name="Olga")
    answer = await network.client.post("/v1/auth/login", json={"email": "olga@example.com", "password": STAFF_PASSWORD})
    return {"Authorization": f"Bearer {answer.json()['accessToken']}"}


def local(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    """A local wall-clock moment as the UTC instant the database keeps."""
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


async def hand_worked_history(network: Network, day: date) -> dict[str, Any]:
    a1, amsterdam = await network.charger("MET-A1", evses=2, model="Fast50", zone="Europe/Amsterdam")
    a2, _ = await network.charger("MET-A2", evses=1, model="AC22", zone="Europe/Amsterdam", location_id=amsterdam)
    b1, new_york = await network.charger("MET-B1", evses=1, model="Fast50", zone="America/New_York")
    nxt = day + timedelta(days=1)
    # A1: Dana twice (first and returning), 40 of 60 minutes delivering, then 30 of 30; one failed start, and
    # one start the card refused (not the charger's failure)
    await network.finished(a1, "DANA", local(day, 9, 30, AMSTERDAM), minutes=60, kwh=10, delivering=40)
    await network.finished(a1, "DANA", local(nxt, 18, 0, AMSTERDAM), minutes=30, kwh=5, delivering=30)
    await network.failed(a1, local(day, 12, 0, AMSTERDAM), NOT_STARTED)
    await network.failed(a1, local(day, 12, 5, AMSTERDAM), DECLINED)
    # A2: Erik, 60 of 90 minutes delivering
    await network.finished(a2, "ERIK", local(day, 9, 10, AMSTERDAM), minutes=90, kwh=20, delivering=60)
    # B1 in New York: 23:30 local is the next day in UTC; paid in dollars
    await network.finished(
        b1,
        "FAY",
        local(day, 23, 30, NEW_YORK),
        minutes=45,
        kwh=6,
        delivering=45,
        currency="USD",
        per_kwh=0.5,
        zone=NEW_YORK,
    )
    # outside the period: the day before
    await network.finished(
        a1, "GUS", local(day - timedelta(days=1), 10, 0, AMSTERDAM), minutes=10, kwh=1, delivering=10
    )
    return {"amsterdam": amsterdam, "new_york": new_york}


def by_charger(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["chargerId"]: row for row in report["chargers"]}


async def test_the_figures_an_operator_works_out_by_hand(network: Network, database_url: str) -> None:
    day = utc_now().date() - timedelta(days=10)
    sites = await hand_worked_history(network, day)
    headers = await admin_headers(network, database_url)
    period = {"from": day.isoformat(), "to": (day + timedelta(days=1)).isoformat()}

    answer = await network.client.get("/v1/admin/metrics", params=period, headers=headers)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["days"] == 2
    assert report["chargersCount"] == 3
    assert report["ports"] == 4
    chargers = by_charger(report)

    a1 = chargers["MET-A1"]
    assert (a1["sessions"], a1["failedStarts"], a1["failedStartRate"]) == (2, 1, 0.3333)  # the refused card is no fault
    assert a1["energyKwh"] == 15.0
    assert a1["energyPerSessionKwh"] == 7.5
    assert a1["averageDurationMinutes"] == 45.0  # (60 + 30) / 2
    assert a1["deliveringHours"] == 1.17  # 40 + 30 minutes
    assert a1["utilisation"] == 0.0122  # 70 min / (2 ports x 48 h)
    assert a1["revenue"] == [{"currency": "EUR", "amount": "6"}]  # 15 kWh x 0.40
    assert (a1["firstTimeDrivers"], a1["returningSessions"]) == (1, 1)

    a2 = chargers["MET-A2"]
    assert a2["utilisation"] == 0.0208  # 60 min / 48 h
    assert a2["revenue"] == [{"currency": "EUR", "amount": "8"}]
    b1 = chargers["MET-B1"]
    assert b1["revenue"] == [{"currency": "USD", "amount": "3"}]
    assert b1["sessions"] == 1

    locations = {row["locationId"]: row for row in report["locations"]}
    amsterdam = locations[str(sites["amsterdam"])]
    assert (amsterdam["chargers"], amsterdam["ports"], amsterdam["sessions"]) == (2, 3, 3)
    assert amsterdam["utilisation"] == 0.015  # 130 min / (3 ports x 48 h)
    assert amsterdam["revenue"] == [{"currency": "EUR", "amount": "14"}]

    totals = report["totals"]
    assert (totals["sessions"], totals["failedStarts"], totals["failedStartRate"]) == (4, 1, 0.2)
    assert (totals["firstTimeDrivers"], totals["returningSessions"]) == (3, 1)
    assert totals["revenue"] == [{"currency": "EUR", "amount": "14"}, {"currency": "USD", "amount": "3"}]
    assert totals["energyPerSessionKwh"] == 10.25  # 41 kWh / 4

    cells = report["heatmap"]["sessions"]
    assert cells[day.weekday()][9] == 2  # 09:10 and 09:30 in Amsterdam, whatever the UTC hour
    assert cells[(day + timedelta(days=1)).weekday()][18] == 1
    assert cells[day.weekday()][23] == 1  # New York's evening, already the next day in UTC
    assert sum(map(sum, cells)) == 4

    only_fast = await network.client.get("/v1/admin/metrics", params={**period, "model": "Fast50"}, headers=headers)
    assert {row["chargerId"] for row in only_fast.json()["chargers"]} == {"MET-A1", "MET-B1"}
    one_site = await network.client.get(
        "/v1/admin/metrics", params={**period, "location": str(sites["new_york"])}, headers=headers
    )
    assert [row["chargerId"] for row in one_site.json()["chargers"]] == ["MET-B1"]
    assert one_site.json()["heatmap"]["sessions"][day.weekday()][23] == 1


async def test_csv_tables_carry_the_same_figures(network: Network, database_url: str) -> None:
    day = utc_now().date() - timedelta(days=10)
    await hand_worked_history(network, day)
    headers = await admin_headers(network, database_url)
    period = {"from": day.isoformat(), "to": (day + timedelta(days=1)).isoformat()}

    chargers = await network.client.get(
        "/v1/admin/metrics.csv", params={**period, "table": "chargers"}, headers=headers
    )
    assert chargers.status_code == 200
    assert chargers.headers["content-type"].startswith("text/csv")
    assert "attachment" in chargers.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(chargers.text)))
    assert list(rows[0])[:5] == ["charger_id", "model", "location_id", "location", "ports"]
    assert {"utilisation", "failed_start_rate", "revenue_EUR", "revenue_USD"} <= set(rows[0])
    a1 = next(row for row in rows if row["charger_id"] == "MET-A1")
    assert (a1["sessions"], a1["utilisation"], a1["revenue_EUR"], a1["revenue_USD"]) == ("2", "0.0122", "6", "")

    locations = await network.client.get(
        "/v1/admin/metrics.csv", params={**period, "table": "locations"}, headers=headers
    )
    assert len(list(csv.DictReader(io.StringIO(locations.text)))) == 2
    heatmap = await network.client.get("/v1/admin/metrics.csv", params={**period, "table": "heatmap"}, headers=headers)
    lines = list(csv.reader(io.StringIO(heatmap.text)))
    assert lines[0][:3] == ["weekday", "00:00", "01:00"]
    assert len(lines) == 8
    assert lines[1 + day.weekday()][1 + 9] == "2"


async def test_bad_periods_are_refused_with_problem_details(network: Network, database_url: str) -> None:
    headers = await admin_headers(network, database_url)
    backwards = await network.client.get(
        "/v1/admin/metrics", params={"from": "2026-03-02", "to": "2026-03-01"}, headers=headers
    )
    assert backwards.status_code == 422
    assert backwards.headers["content-type"] == "application/problem+json"
    assert "from" in backwards.text
    too_long = await network.client.get(
        "/v1/admin/metrics", params={"from": "2024-01-01", "to": "2026-01-01"}, headers=headers
    )
    assert too_long.status_code == 422
    assert "400 days" in too_long.text
    end_of_time = await network.client.get(
        "/v1/admin/metrics", params={"from": "9999-12-30", "to": "9999-12-31"}, headers=headers
    )
    assert end_of_time.status_code == 422
    assert "2999-12-31" in end_of_time.text
    not_a_day = await network.client.get("/v1/admin/metrics", params={"from": "yesterday"}, headers=headers)
    assert not_a_day.status_code == 422
    wrong_table = await network.client.get("/v1/admin/metrics.csv", params={"table": "drivers"}, headers=headers)
    assert wrong_table.status_code == 422
    assert (await network.client.get("/v1/admin/metrics")).status_code == 401


async def sign_in(network: Network, database_url: str, email: str, role: Role) -> dict[str, str]:
    await add_user(make_settings(database_url=database_url), email=email, password=STAFF_PASSWORD, role=role, name=role)
    answer = await network.client.post("/v1/auth/login", json={"email": email, "password": STAFF_PASSWORD})
    return {"Authorization": f"Bearer {answer.json()['accessToken']}"}


async def test_an_operator_of_one_region_gets_only_that_region(network: Network, database_url: str) -> None:
    day = utc_now().date() - timedelta(days=10)
    sites = await hand_worked_history(network, day)
    admin = await admin_headers(network, database_url)
    operator = await sign_in(network, database_url, "otto@example.com", "operator")
    agent = await sign_in(network, database_url, "ana@example.com", "agent")
    regions = {}
    for name, site in (("Europe", sites["amsterdam"]), ("America", sites["new_york"])):
        regions[name] = (await network.client.post("/v1/admin/regions", json={"name": name}, headers=admin)).json()[
            "id"
        ]
        placed = await network.client.put(
            f"/v1/admin/locations/{site}/organisation", json={"regionId": regions[name]}, headers=admin
        )
        assert placed.status_code == 200, placed.text
    otto = (await network.client.get("/v1/me", headers=operator)).json()["id"]
    granted = await network.client.put(
        f"/v1/admin/operators/{otto}/scope", json={"regionIds": [regions["America"]]}, headers=admin
    )
    assert granted.status_code == 200, granted.text
    period = {"from": day.isoformat(), "to": (day + timedelta(days=1)).isoformat()}

    mine = (await network.client.get("/v1/admin/metrics", params=period, headers=operator)).json()
    assert [row["chargerId"] for row in mine["chargers"]] == ["MET-B1"]
    assert [row["locationId"] for row in mine["locations"]] == [str(sites["new_york"])]
    assert mine["totals"]["sessions"] == 1
    assert mine["totals"]["revenue"] == [{"currency": "USD", "amount": "3"}]
    assert sum(map(sum, mine["heatmap"]["sessions"])) == 1
    # another region's site, asked for by name: nothing of it, not its figures
    theirs = await network.client.get(
        "/v1/admin/metrics", params={**period, "location": str(sites["amsterdam"])}, headers=operator
    )
    assert theirs.status_code == 200
    assert theirs.json()["chargers"] == []
    assert theirs.json()["totals"]["sessions"] == 0
    other_region = await network.client.get(
        "/v1/admin/metrics", params={**period, "region": regions["Europe"]}, headers=operator
    )
    assert other_region.json()["totals"]["sessions"] == 0
    csv_rows = await network.client.get("/v1/admin/metrics.csv", params=period, headers=operator)
    assert [row["charger_id"] for row in csv.DictReader(io.StringIO(csv_rows.text))] == ["MET-B1"]

    # the admin filters by region and sees the same; a support agent is not an operator
    by_region = await network.client.get(
        "/v1/admin/metrics", params={**period, "region": regions["America"]}, headers=admin
    )
    assert [row["chargerId"] for row in by_region.json()["chargers"]] == ["MET-B1"]
    europe = await network.client.get(
        "/v1/admin/metrics", params={**period, "region": regions["Europe"]}, headers=admin
    )
    assert {row["chargerId"] for row in europe.json()["chargers"]} == {"MET-A1", "MET-A2"}
    assert (await network.client.get("/v1/admin/metrics", params=period, headers=agent)).status_code == 403


# ----- rollups equal a computation from scratch -----------------------------------------------------------------


def _expected(sessions: list[ChargingSession], samples: dict[uuid.UUID, list[tuple[datetime, float]]]) -> Any:
    """The rollups computed straight from the finished sessions, independently of the rollup code."""
    figures: dict[tuple[str, date, uuid.UUID, str], Counter[str]] = defaultdict(Counter)
    hours: dict[tuple[str, date, int, uuid.UUID], Counter[str]] = defaultdict(Counter)
    seen: set[str] = set()
    for record in sorted(sessions, key=lambda r: (r.ended_at, r.id)):
        zone = ZoneInfo(record.time_zone)
        start = (record.started_at or record.created_at).astimezone(zone)
        first_time = record.status == "completed" and record.id_token not in seen
        seen.add(record.id_token)
        for grain, key_day in (("day", start.date()), ("month", start.date().replace(day=1))):
            row = figures[(grain, key_day, record.charging_station_id, record.currency)]
            if record.status == "failed":
                row["failed_starts"] += int(record.failure_reason == NOT_STARTED)
                continue
            assert record.ended_at is not None
            assert record.started_at is not None
            assert record.cdr is not None
            readings = samples[record.id]
            row["sessions"] += 1
            row["energy_wh"] += round(float(record.cdr["total_energy"]) * 1000)
            row["duration_seconds"] += round((record.ended_at - record.started_at).total_seconds())
            row["delivering_seconds"] += round(
                sum((b[0] - a[0]).total_seconds() for a, b in itertools.pairwise(readings) if b[1] > a[1])
            )
            row["revenue_minor"] += record.amount_due_minor or 0
            row["first_time_drivers"] += int(first_time)
            hours[(grain, key_day, start.weekday(), record.charging_station_id)][f"h{start.hour:02d}"] += 1
    return (
        {key: +value for key, value in figures.items() if +value},
        {key: +value for key, value in hours.items()},
    )


async def _actual(network: Network) -> Any:
    async with network.factory() as session:
        figures = {}
        for row in (await session.execute(select(ChargerRollup))).scalars():
            values = Counter(
                {
                    name: round(getattr(row, name))
                    for name in (
                        "sessions",
                        "failed_starts",
                        "energy_wh",
                        "duration_seconds",
                        "delivering_seconds",
                        "revenue_minor",
                        "first_time_drivers",
                    )
                }
            )
            figures[(row.grain, row.period_start, row.charging_station_id, row.currency)] = +values
        hours = {}
        for hour_row in (await session.execute(select(ChargerHours))).scalars():
            counts = Counter({name: getattr(hour_row, name) for name in HOUR_COLUMNS})
            hours[(hour_row.grain, hour_row.period_start, hour_row.weekday, hour_row.charging_station_id)] = +counts
        return {k: v for k, v in figures.items() if v}, hours


async def test_rollups_equal_a_computation_from_scratch(network: Network) -> None:
    rng = random.Random(18)
    zones = [AMSTERDAM, NEW_YORK]
    stations = [
        await network.charger(f"PROP-{n}", evses=1 + n % 2, model="Fast50", zone=str(zones[n % 2])) for n in range(3)
    ]
    now = utc_now().replace(microsecond=0)
    drivers = ["ANN", "BOB", "CID", "DEE", "EVE"]
    starts = sorted(now - timedelta(days=rng.randint(1, 70), minutes=rng.randint(0, 1439)) for _ in range(24))
    for n, start in enumerate(starts):  # sessions finish in the order they happened, as they do on a network
        station_id, _ = stations[n % 3]
        zone = zones[(n % 3) % 2]
        if rng.random() < 0.2:
            await network.failed(station_id, start, rng.choice([NOT_STARTED, DECLINED]), zone=zone)
            continue
        minutes = rng.randint(5, 120)
        await network.finished(
            station_id,
            rng.choice(drivers),
            start,
            minutes=minutes,
            kwh=round(rng.uniform(0.5, 40), 3),
            delivering=rng.randint(1, minutes),
            currency=rng.choice(["EUR", "EUR", "GBP"]),
            zone=zone,
        )
    async with network.factory() as session:
        sessions = list((await session.execute(select(ChargingSession))).scalars())
        samples: dict[uuid.UUID, list[tuple[datetime, float]]] = {}
        for record in sessions:
            if record.transaction_id is None:
                continue
            transaction = await session.get(ChargingTransaction, record.transaction_id)
            assert transaction is not None
            assert transaction.ended_at is not None
            rows = await session.execute(
                select(MeterSampleRecord.at, MeterSampleRecord.energy_wh)
                .where(MeterSampleRecord.transaction_id == record.transaction_id)
                .order_by(MeterSampleRecord.at)
            )
            samples[record.id] = [
                (transaction.started_at, transaction.meter_start_wh or 0.0),
                *((at, energy or 0.0) for at, energy in rows),
                (transaction.ended_at, transaction.meter_stop_wh or 0.0),
            ]
    assert {record.status for record in sessions} == {"completed", "failed"}
    expected = _expected(sessions, samples)
    assert await _actual(network) == expected

    # rebuilding from the sessions gives the same rollups again
    async with network.factory() as session, session.begin():
        assert await rebuild(session) == len(sessions)
    assert await _actual(network) == expected
