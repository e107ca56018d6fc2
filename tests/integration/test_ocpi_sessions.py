"""OCPI sessions and CDRs for roaming partners, on SQLite and PostgreSQL, against the fake eMSP over real HTTP:
the lists a partner pages through (only its own), the objects per OCPI 2.2.1, the CDR total equal to the driver's
receipt, and the pushes (session start, final session and CDR, EVSE statuses with flaps coalesced, a partner's 401
holding its pushes until it updates its credentials)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from ocpi_types import v2_2_1
from sqlalchemy import select

from api.db.engine import create_engine, create_session_factory
from api.db.models import (
    ChargingSession,
    ChargingStation,
    ChargingTransaction,
    Evse,
    Location,
    MeterSampleRecord,
    OcpiPartner,
    OutboundDelivery,
)
from api.db.types import utc_now
from api.domain.chargers.live_writer import LiveStateWriter
from api.domain.sessions.receipts import build_receipt
from api.domain.stations.importing import store_feed
from api.services import Services
from tests.integration.stations_data import feed, location
from tests.ocpi_fake_emsp import FakeEmsp, RegisteredPartner, add_partner, ocpi_headers
from tests.ocpi_shapes import shape_differences, spec_example
from tests.ocpi_spec import SpecTables, problems, spec_tables
from tests.support import wait_for

Client = AsyncTestClient[Litestar]
T = TypeVar("T")
BASE = "/ocpi/cpo/2.2.1"
TARIFF = {
    "id": "AC-1",
    "currency": "EUR",
    "elements": [
        {
            "price_components": [
                {"type": "FLAT", "price": 0.5, "vat": 21.0, "step_size": 1},
                {"type": "ENERGY", "price": 0.3333, "vat": 21.0, "step_size": 1},
                {"type": "TIME", "price": 1.2, "vat": 21.0, "step_size": 60},
            ]
        }
    ],
}


@pytest.fixture
def spec(shared_dir: Path) -> SpecTables:
    return spec_tables(shared_dir / "specs" / "ocpi-2.2.1")


def services_of(client: Client) -> Services:
    services: Services = client.app.state.services
    return services


async def seed_place(database_url: str) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """Our own location with one EVSE on a charger: (location id, EVSE id, station id)."""
    engine = create_engine(database_url)
    try:
        factory = create_session_factory(engine)
        await store_feed(factory, feed([location("OCP", 52.37, 4.89, tariff="AC-1", party=("NL", "VWY"))]))
        async with factory() as session, session.begin():
            evse = (await session.execute(select(Evse))).scalar_one()
            station = ChargingStation(id=uuid.uuid4(), ocpp_id="OCPI-CP-1", location_id=evse.location_id)
            session.add(station)
            await session.flush()
            evse.charging_station_id = station.id
            evse.ocpp_evse_id = 1
            return evse.location_id, evse.id, station.id
    finally:
        await engine.dispose()


class World:
    """The app under test and what the tests do on its event loop (its engine and worker live there)."""

    def __init__(self, client: Client, database_url: str, place: tuple[uuid.UUID, uuid.UUID, uuid.UUID]) -> None:
        self.client = client
        self.database_url = database_url
        self.location_id, self.evse_id, self.station_id = place
        self.services = services_of(client)
        self.factory = self.services.session_factory

    async def on_app(self, function: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Run `function` on the app's event loop (the test client serves the app from a thread of its own)."""

        async def call() -> T:
            return await function(*args, **kwargs)

        return await asyncio.to_thread(self.client.blocking_portal.call, call)

    async def bill(self, session_id: uuid.UUID) -> None:
        await self.on_app(self.services.sessions.bill, session_id)

    async def send_due(self, at: datetime | None = None) -> int:
        return await self.on_app(self.services.deliveries.run_once, at)

    async def _add_session(
        self,
        partner_id: uuid.UUID | None,
        *,
        started: datetime,
        minutes: int = 40,
        kwh: float = 7.777,
        status: str = "stopping",
        token_uid: str | None = None,
    ) -> uuid.UUID:
        """A partner's session whose transaction ran `minutes` with readings every minute (ended unless running)."""
        running = status in ("charging", "starting")
        uid = token_uid or f"RFID{uuid.uuid4().hex[:8].upper()}"
        async with self.factory() as session, session.begin():
            transaction = ChargingTransaction(
                id=uuid.uuid4(),
                charging_station_id=self.station_id,
                evse_id=self.evse_id,
                connector_id=1,
                ocpp_transaction_id=str(uuid.uuid4().int % 10**9),
                id_token=uid,
                started_at=started,
                ended_at=None if running else started + timedelta(minutes=minutes),
                meter_start_wh=1000.0,
                meter_stop_wh=None if running else 1000.0 + kwh * 1000,
                status="active" if running else "ended",
            )
            session.add(transaction)
            await session.flush()
            for minute in range(1, minutes):
                moment = started + timedelta(minutes=minute)
                session.add(
                    MeterSampleRecord(
                        transaction_id=transaction.id,
                        timestamp=moment,
                        at=moment,
                        energy_wh=1000.0 + kwh * 1000 * minute / minutes,
                        power_w=kwh * 1000 * 60 / minutes,
                    )
                )
            record = ChargingSession(
                id=uuid.uuid4(),
                source="ocpi",
                location_id=self.location_id,
                evse_id=self.evse_id,
                charging_station_id=self.station_id,
                connector_id=1,
                id_token=uid,
                transaction_id=None if status == "starting" else transaction.id,
                status=status,
                tariff=TARIFF,
                time_zone="Europe/Amsterdam",
                currency="EUR",
                started_at=None if status == "starting" else started,
                created_at=started,
                updated_at=started + timedelta(minutes=minutes),
                ocpi_partner_id=partner_id,
                ocpi_cdr_token={
                    "country_code": "DE",
                    "party_id": "FKE",
                    "uid": uid,
                    "type": "RFID",
                    "contract_id": f"DEFKEC{uid[:8]}",
                },
                ocpi_auth_method="WHITELIST",
                ocpi_authorization_reference=f"AUTH-{uid}",
            )
            session.add(record)
        return record.id

    async def _record(self, session_id: uuid.UUID) -> ChargingSession:
        async with self.factory() as session:
            found = await session.get(ChargingSession, session_id)
            assert found is not None
            return found

    async def _receipt_total(self, session_id: uuid.UUID) -> tuple[Any, Any]:
        async with self.factory() as session:
            record = await session.get(ChargingSession, session_id)
            assert record is not None
            location = await session.get(Location, record.location_id)
            evse = await session.get(Evse, record.evse_id)
            receipt = build_receipt(
                record,
                location,
                evse,
                {"payment_status": record.payment_status, **_payment(record)},
                self.services.settings,
                utc_now(),
            )
        return receipt.total_excl_vat, receipt.total_incl_vat

    async def add_session(self, partner_id: uuid.UUID | None, **options: Any) -> uuid.UUID:
        return await self.on_app(self._add_session, partner_id, **options)

    async def record(self, session_id: uuid.UUID) -> ChargingSession:
        return await self.on_app(self._record, session_id)

    async def receipt_total(self, session_id: uuid.UUID) -> tuple[Any, Any]:
        return await self.on_app(self._receipt_total, session_id)

    async def partner_status(self, partner_id: uuid.UUID) -> str:
        return await self.on_app(self._partner_status, partner_id)

    async def _partner_status(self, partner_id: uuid.UUID) -> str:
        async with self.factory() as session:
            return str(await session.scalar(select(OcpiPartner.status).where(OcpiPartner.id == partner_id)))


def _payment(record: ChargingSession) -> dict[str, Any]:
    return {
        "payment_provider": record.payment_provider,
        "hold_minor": record.hold_minor,
        "captured_minor": record.captured_minor,
        "extra_charged_minor": record.extra_charged_minor,
        "debt_minor": record.debt_minor,
        "refunded_minor": record.refunded_minor,
        "currency": record.currency,
    }


@pytest.fixture
async def world(client: Client, database_url: str) -> World:
    return World(client, database_url, await seed_place(database_url))


async def get_page(client: Client, token: str, path: str, **params: str) -> httpx.Response:
    answer = await client.get(f"{BASE}{path}", params=params, headers=ocpi_headers(token))
    assert answer.status_code == 200, answer.text
    assert answer.json()["status_code"] == 1000, answer.text
    return answer


def next_params(answer: httpx.Response) -> dict[str, str] | None:
    link = answer.headers.get("link")
    if link is None:
        return None
    url = httpx.URL(link.split(";")[0].strip("<> "))
    return dict(url.params)


async def crawl(client: Client, token: str, path: str, **params: str) -> tuple[list[dict[str, Any]], list[int]]:
    """Every page of a list, following Link; the objects and the page sizes."""
    items: list[dict[str, Any]] = []
    sizes: list[int] = []
    current: dict[str, str] | None = dict(params)
    while current is not None:
        answer = await get_page(client, token, path, **current)
        data = answer.json()["data"]
        items.extend(data)
        sizes.append(len(data))
        current = next_params(answer)
        if current is not None:
            assert {k: v for k, v in current.items() if k not in ("offset", "limit")} == {
                k: v for k, v in params.items() if k not in ("offset", "limit")
            }  # the next link carries every filter
    return items, sizes


def same_shape(ours: dict[str, Any], example: dict[str, Any]) -> list[str]:
    """Where ours differs in shape from the spec's example: JSON types, and fields the example has that we lack
    (fields beyond the example are checked against the spec's tables instead; optional ones may be absent)."""
    optional = frozenset({"end_date_time", "charging_periods", "total_cost", "tariff_id", "postal_code", "name"})
    optional |= {"total_time_cost", "total_parking_time", "total_energy_cost", "total_fixed_cost", "step_size"}
    return [p for p in shape_differences(ours, example, optional=optional) if not p.endswith("not in the example")]


async def test_a_partner_pages_through_its_own_sessions_and_cdrs_only(
    world: World, ocpi_partner: RegisteredPartner, fake_emsp: FakeEmsp, spec: SpecTables, shared_dir: Path
) -> None:
    other_id, _ = await add_partner(world.database_url, country_code="FR", party_id="OTH", role="EMSP", name="Other")
    day = utc_now().replace(microsecond=0) - timedelta(days=2)
    mine, theirs = [], []
    for hour in range(3):  # billed one after the other: an EVSE holds one open session at a time
        mine.append(await world.add_session(ocpi_partner.partner_id, started=day + timedelta(hours=hour)))
        await world.bill(mine[-1])
        theirs.append(await world.add_session(other_id, started=day + timedelta(hours=hour, minutes=30)))
        await world.bill(theirs[-1])
    mine.append(await world.add_session(ocpi_partner.partner_id, started=day + timedelta(hours=4), status="failed"))
    await world.add_session(None, started=day + timedelta(hours=5), status="failed")  # one of our own drivers'
    mine.append(await world.add_session(ocpi_partner.partner_id, started=day + timedelta(hours=6), status="charging"))

    sessions, sizes = await crawl(world.client, ocpi_partner.token, "/sessions", limit="2")
    assert sizes == [2, 2, 1]
    assert sorted(s["id"] for s in sessions) == sorted(map(str, mine))
    assert [s["last_updated"] for s in sessions] == sorted(s["last_updated"] for s in sessions)
    assert sorted(s["status"] for s in sessions) == ["ACTIVE", "COMPLETED", "COMPLETED", "COMPLETED", "INVALID"]
    active = next(s for s in sessions if s["status"] == "ACTIVE")
    assert active["kwh"] > 0
    assert active["charging_periods"]
    for item in sessions:
        assert problems(item, "Session", tables=spec) == []
        v2_2_1.Session.from_dict(item)
        example = (
            "session_example_2_short_finished.json"
            if "end_date_time" in item
            else "session_example_1_simple_start.json"
        )
        assert same_shape(item, spec_example(shared_dir, example)) == [], item
    total = (await get_page(world.client, ocpi_partner.token, "/sessions", limit="2")).headers
    assert (total["x-total-count"], total["x-limit"]) == ("5", "2")

    # date_from inclusive, date_to exclusive, on last_updated
    stamps = sorted(s["last_updated"] for s in sessions)
    early, late = stamps[1], stamps[-1]
    assert early < late
    window, _ = await crawl(world.client, ocpi_partner.token, "/sessions", date_from=early, date_to=late, limit="1")
    assert sorted(s["last_updated"] for s in window) == [t for t in stamps if early <= t < late]

    cdrs, _ = await crawl(world.client, ocpi_partner.token, "/cdrs", limit="2")
    assert sorted(c["id"] for c in cdrs) == sorted(map(str, mine[:3]))
    for cdr in cdrs:
        assert problems(cdr, "CDR", tables=spec) == []
        v2_2_1.Cdr.from_dict(cdr)
        assert cdr["cdr_token"]["party_id"] == "FKE"
        assert cdr["cdr_location"]["id"] == "OCP"
        assert same_shape(cdr, spec_example(shared_dir, "cdr_example.json")) == [], cdr
    none, _ = await crawl(
        world.client,
        ocpi_partner.token,
        "/cdrs",
        date_from=(utc_now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    assert none == []


async def test_the_cdr_costs_what_the_receipt_says_and_arrives_at_the_emsp(
    world: World, ocpi_partner: RegisteredPartner, fake_emsp: FakeEmsp, spec: SpecTables
) -> None:
    started = utc_now().replace(microsecond=0) - timedelta(hours=3)
    session_id = await world.add_session(ocpi_partner.partner_id, started=started, minutes=47, kwh=9.876)
    await world.bill(session_id)

    pushed = await fake_emsp.wait_for(lambda r: r.method == "POST" and r.path.endswith("/cdrs"))
    cdr = pushed.json
    assert problems(cdr, "CDR", tables=spec) == []
    excl, incl = await world.receipt_total(session_id)
    assert (str(cdr["total_cost"]["excl_vat"]), str(cdr["total_cost"]["incl_vat"])) == (str(excl), str(incl))
    assert cdr["total_energy"] == 9.876
    assert cdr["tariffs"][0]["id"] == "AC-1"
    assert cdr["charging_periods"][0]["tariff_id"] == "AC-1"
    charged = sum(d["volume"] for p in cdr["charging_periods"] for d in p["dimensions"] if d["type"] == "ENERGY")
    assert abs(charged - 9.876) < 0.001
    assert (
        pushed.headers["authorization"]
        == f"Token {__import__('base64').b64encode(fake_emsp.partner_token.encode()).decode()}"
    )
    assert pushed.headers["ocpi-to-party-id"] == "FKE"

    final = await fake_emsp.wait_for(lambda r: r.method == "PUT" and r.path.endswith(f"/sessions/NL/VWY/{session_id}"))
    assert final.json["status"] == "COMPLETED"
    assert final.json["total_cost"] == cdr["total_cost"]
    listed, _ = await crawl(world.client, ocpi_partner.token, "/cdrs")
    assert listed == [cdr]  # the list sends what was pushed


async def test_a_started_session_is_pushed_to_its_partner(
    world: World, ocpi_partner: RegisteredPartner, fake_emsp: FakeEmsp, spec: SpecTables
) -> None:
    started = utc_now().replace(microsecond=0)
    session_id = await world.add_session(
        ocpi_partner.partner_id, started=started, status="starting", minutes=2, token_uid="ROAM0001"
    )
    record = await world.record(session_id)

    async def transaction_of(uid: str) -> uuid.UUID | None:
        async with world.factory() as session:
            return await session.scalar(select(ChargingTransaction.id).where(ChargingTransaction.id_token == uid))

    transaction_id = await world.on_app(transaction_of, "ROAM0001")
    assert transaction_id is not None
    await world.on_app(
        world.services.sessions.transaction_started,
        transaction_id=transaction_id,
        station_id=world.station_id,
        connector_id=1,
        ocpp_id="OCPI-CP-1",
        ocpp_transaction_id="77",
        id_token=record.id_token,
        user_id=None,
        started_at=started,
        meter_start_wh=1000.0,
        accepted=True,
    )
    pushed = await fake_emsp.wait_for(lambda r: r.method == "PUT" and str(session_id) in r.path)
    assert pushed.path == f"/ocpi/emsp/2.2.1/sessions/NL/VWY/{session_id}"
    assert pushed.json["status"] == "ACTIVE"
    assert pushed.json["authorization_reference"] == "AUTH-ROAM0001"
    assert problems(pushed.json, "Session", tables=spec) == []

    # meter progress: at most one PATCH a minute (the first reading's), however many readings come
    for minute in (1, 2, 3):
        reading = Reading(started + timedelta(minutes=minute), 1000.0 + 150 * minute, 9000.0, None)
        await world.on_app(async_meter_values, world.services, transaction_id, [reading])
    await world.on_app(world.services.ocpi_pushes.drain)
    progress = await fake_emsp.wait_for(lambda r: r.method == "PATCH" and str(session_id) in r.path)
    assert progress.json["kwh"] == 0.15
    assert progress.json["status"] == "ACTIVE"
    assert set(progress.json) == {"kwh", "total_cost", "status", "last_updated"}
    assert len(fake_emsp.requests_to(str(session_id), "PATCH")) == 1


@dataclass(frozen=True)
class Reading:
    timestamp: datetime
    energy_wh: float
    power_w: float
    soc_percent: float | None


async def async_meter_values(services: Services, transaction_id: uuid.UUID, readings: list[Reading]) -> None:
    services.sessions.meter_values(transaction_id, readings)


async def test_evse_status_changes_reach_the_emsp_and_flaps_coalesce(
    world: World, ocpi_partner: RegisteredPartner, fake_emsp: FakeEmsp
) -> None:
    writer = LiveStateWriter(world.factory)
    writer.on_status_changed = world.services.ocpi_pushes.evse_statuses_changed

    async def report(status: str, ocpp_status: str) -> None:
        writer.status(
            station_id=world.station_id,
            evse_id=world.evse_id,
            location_id=world.location_id,
            status=status,
            ocpp_status=ocpp_status,
            error_code=None,
            at=utc_now(),
        )
        await world.on_app(writer.flush)

    await report("CHARGING", "Charging")
    pushed = await fake_emsp.wait_for(lambda r: r.method == "PATCH" and "/locations/" in r.path)
    assert pushed.path == "/ocpi/emsp/2.2.1/locations/NL/VWY/OCP/OCP-1"
    assert pushed.json["status"] == "CHARGING"
    assert set(pushed.json) == {"status", "last_updated"}

    fake_emsp.reject_with(503)  # the eMSP is down while the EVSE flaps
    fake_emsp.clear()
    for status, ocpp in [("AVAILABLE", "Available"), ("CHARGING", "Charging"), ("BLOCKED", "Occupied")]:
        await report(status, ocpp)
    await fake_emsp.wait_for(lambda r: r.method == "PATCH")  # the first one was tried (and failed)
    await report("AVAILABLE", "Available")

    async def none_in_flight() -> bool:
        """No push is being sent: one in flight finishes before a newer state of its EVSE follows, so the eMSP
        comes back only when none is (else that stale one could arrive first, which the outbox allows)."""
        async with world.factory() as session:
            sending = await session.scalar(
                select(OutboundDelivery.id)
                .where(OutboundDelivery.status == "pending", OutboundDelivery.claimed_until.is_not(None))
                .limit(1)
            )
        return sending is None

    await wait_for(lambda: world.on_app(none_in_flight), "the pushes tried while the eMSP was down to finish")
    fake_emsp.clear()
    fake_emsp.reject_with(None)

    async def delivered() -> list[str]:
        await world.send_due(utc_now() + timedelta(days=1))  # retries due at once (not after their backoff)
        return [r.json["status"] for r in fake_emsp.requests_to("/locations/", "PATCH") if r.status == 200]

    assert await wait_for(delivered, "the EVSE status after the eMSP came back") == ["AVAILABLE"]
    await world.send_due(utc_now() + timedelta(days=2))
    assert await delivered() == ["AVAILABLE"]  # only the latest of the flaps, once


async def test_after_a_401_the_partner_is_suspended_until_it_updates_its_credentials(
    world: World, ocpi_partner: RegisteredPartner, fake_emsp: FakeEmsp
) -> None:
    writer = LiveStateWriter(world.factory)
    writer.on_status_changed = world.services.ocpi_pushes.evse_statuses_changed
    fake_emsp.reject_with(401)
    writer.status(
        station_id=world.station_id,
        evse_id=world.evse_id,
        location_id=world.location_id,
        status="OUTOFORDER",
        ocpp_status="Faulted",
        error_code=None,
        at=utc_now(),
    )
    await world.on_app(writer.flush)
    await fake_emsp.wait_for(lambda r: r.status == 401)

    async def suspended() -> bool:
        return await world.partner_status(ocpi_partner.partner_id) == "suspended"

    await wait_for(suspended, "the partner suspended after its 401")
    fake_emsp.reject_with(None)
    fake_emsp.clear()
    assert await world.send_due(utc_now() + timedelta(days=1)) == 0  # held, not retried

    async def deliveries() -> list[OutboundDelivery]:
        async with world.factory() as session:
            return list((await session.execute(select(OutboundDelivery))).scalars())

    held = await world.on_app(deliveries)
    assert [(d.status, d.attempts) for d in held] == [("pending", 0)]

    # the partner updates its credentials: the held push goes out
    answer = await world.client.put(
        f"{BASE}/credentials",
        headers=ocpi_headers(ocpi_partner.token),
        json={
            **ocpi_partner.credentials,
            "token": fake_emsp.partner_token,
            "url": fake_emsp.versions_url,
            "roles": [
                {"role": "EMSP", "business_details": {"name": fake_emsp.name}, "party_id": "FKE", "country_code": "DE"}
            ],
        },
    )
    assert answer.status_code == 200, answer.text
    assert await world.partner_status(ocpi_partner.partner_id) == "registered"
    pushed = await fake_emsp.wait_for(lambda r: r.method == "PATCH" and "/locations/" in r.path)
    assert pushed.json["status"] == "OUTOFORDER"
