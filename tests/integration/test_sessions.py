"""Charging sessions end to end on SQLite and PostgreSQL: the app served by uvicorn with its OCPP bridge, a
simulated charger over a real websocket, a driver starting, watching live over a WebSocket and SSE, stopping,
and the bill checked against the pricing engine for the stored samples."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import msgspec
import pytest
import uvicorn
import websockets
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from api.db.engine import create_engine, create_session_factory
from api.db.models import ChargingSession, ChargingTransaction, Evse, MailMessage, MeterSampleRecord, Notification
from api.domain.chargers.provisioning import add_charger, add_token
from api.domain.stations.tariffs import TariffStore
from ocpp_bridge.simulator import Simulation, SimulatorConfig
from pricing.live_meter import ConnectorState, MeterSample, price_samples
from pricing.money import minor_unit_exponent
from pricing.tariff import decode_tariff
from tests.request_reading import asgi_body
from tests.support import free_port, make_settings, wait_for

PASSWORD = "session-charger-secret"
TARIFF = {
    "id": "SES-AC",
    "currency": "EUR",
    "elements": [
        {
            "price_components": [
                {"type": "ENERGY", "price": "0.39", "vat": "21.0", "step_size": 1},
                {"type": "FLAT", "price": "0.50", "vat": "21.0", "step_size": 1},
                {"type": "TIME", "price": "1.20", "vat": "21.0", "step_size": 60},
            ]
        }
    ],
    "last_updated": "2026-01-01T00:00:00Z",
}


@dataclass
class Network:
    base: str
    ocpp_url: str
    database_url: str
    evse_uids: list[str]
    simulators: list[Simulation]
    app: Any = None

    async def driver(self, client: httpx.AsyncClient, email: str) -> dict[str, str]:
        await client.post(
            f"{self.base}/v1/auth/register",
            json={"email": email, "password": "long enough password", "name": "Driver", "locale": "en"},
        )
        tokens = (
            await client.post(f"{self.base}/v1/auth/login", json={"email": email, "password": "long enough password"})
        ).json()
        return {"Authorization": f"Bearer {tokens['accessToken']}"}


async def _prepare(database_url: str, chargers: int) -> list[str]:
    engine = create_engine(database_url)
    factory = create_session_factory(engine)
    try:
        async with factory() as session:
            await TariffStore("NL", "VWY").import_documents(session, [json.dumps(TARIFF).encode()], "test")
            for n in range(1, chargers + 1):
                await add_charger(
                    session,
                    ocpp_id=f"SES-{n:05d}",
                    password=PASSWORD,
                    country_code="NL",
                    party_id="VWY",
                    tariff_id="SES-AC",
                    coordinates=(52.37 + n / 1000, 4.9),
                    name=f"Session test {n}",
                )
            await session.commit()
            await add_token(session, "RFIDCARD01", driver_email=None)
            await session.commit()
            uids = (
                await session.execute(select(Evse.uid).where(Evse.charging_station_id.is_not(None)).order_by(Evse.uid))
            ).scalars()
            return list(uids)
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def served_app(database_url: str, **overrides: Any) -> AsyncIterator[tuple[Any, str, str]]:
    """The app with its OCPP bridge served by uvicorn on free ports: (app, base URL, OCPP URL)."""
    port, ocpp_port = free_port(), free_port()
    settings = make_settings(
        database_url=database_url,
        ocpp_enabled=True,
        ocpp_port=ocpp_port,
        session_start_timeout_seconds=6,
        catalog_poll_seconds=0.2,
        **overrides,
    )
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning", lifespan="on"))
    serving = asyncio.create_task(server.serve())
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            for _ in range(200):
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(f"{base}/ready")).status_code == 200:
                        break
                await asyncio.sleep(0.05)
        yield app, base, f"ws://127.0.0.1:{ocpp_port}/ocpp"
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 30)


@contextlib.asynccontextmanager
async def running(simulation: Simulation) -> AsyncIterator[Simulation]:
    run = asyncio.create_task(simulation.run())
    try:
        yield simulation
    finally:
        simulation.request_stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(run, 10)


@contextlib.asynccontextmanager
async def serve(
    database_url: str, *, chargers: int = 2, version: str = "1.6", **overrides: Any
) -> AsyncIterator[Network]:
    evse_uids = await _prepare(database_url, chargers)
    async with served_app(database_url, **overrides) as (app, base, ocpp_url):
        config = SimulatorConfig(
            url=ocpp_url,
            chargers=chargers,
            ocpp_version=version,  # type: ignore[arg-type]
            id_prefix="SES-",
            password=PASSWORD,
            duration=None,
            speed=60.0,  # one simulated minute per second: a meter value every second
            arrival_rate=0.0,
            fault_rate=0.0,
            disconnect_rate=0.0,
            meter_interval=60.0,
        )
        async with running(Simulation(config)) as simulation:
            async with httpx.AsyncClient(timeout=10) as client:
                await wait_for(lambda: _all_available(client, base, len(evse_uids)), "chargers online and available")
            yield Network(base, ocpp_url, database_url, evse_uids, [simulation], app)


async def _all_available(client: httpx.AsyncClient, base: str, count: int) -> bool:
    page = (await client.get(f"{base}/v1/stations", params={"lat": 52.37, "lon": 4.9, "radius": 20000})).json()
    statuses = [evse["status"] for item in page["items"] for evse in item["evses"]]
    return len(statuses) == count and all(s == "AVAILABLE" for s in statuses)


async def session_status(client: httpx.AsyncClient, base: str, headers: dict[str, str], session_id: str) -> str:
    return str((await client.get(f"{base}/v1/sessions/{session_id}", headers=headers)).json()["status"])


async def session_and_transaction(
    session: AsyncSession, session_id: str
) -> tuple[ChargingSession, ChargingTransaction]:
    """A charging session as stored, with the OCPP transaction it ran on."""
    record = await session.get(ChargingSession, uuid.UUID(session_id))
    assert record is not None
    assert record.transaction_id is not None
    transaction = await session.get(ChargingTransaction, record.transaction_id)
    assert transaction is not None
    return record, transaction


async def expected_bill(database_url: str, session_id: str) -> tuple[Decimal, int]:
    """The pricing engine's amount_due for the stored samples, computed here from the raw rows."""
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            _, transaction = await session_and_transaction(session, session_id)
            rows = (
                await session.execute(
                    select(MeterSampleRecord)
                    .where(MeterSampleRecord.transaction_id == transaction.id)
                    .order_by(MeterSampleRecord.at, MeterSampleRecord.id)
                )
            ).scalars()
            register = Decimal(repr(transaction.meter_start_wh or 0.0))
            samples = [MeterSample(transaction.started_at, register, Decimal(0), ConnectorState.CHARGING)]
            for row in rows:  # each reading at its moment on our timeline, whatever the charger's clock said
                if row.at < samples[-1].timestamp:
                    continue
                energy = (
                    max(Decimal(repr(row.energy_wh)), samples[-1].energy_wh) if row.energy_wh else samples[-1].energy_wh
                )
                power = Decimal(repr(row.power_w or 0.0))
                state = ConnectorState.CHARGING if power > 0 else ConnectorState.SUSPENDED
                samples.append(MeterSample(row.at, energy, power, state))
            assert transaction.ended_at is not None
            stop = Decimal(repr(transaction.meter_stop_wh)) if transaction.meter_stop_wh else samples[-1].energy_wh
            if transaction.ended_at >= samples[-1].timestamp:  # a reading stamped after the end is the last word
                samples.append(
                    MeterSample(
                        transaction.ended_at, max(stop, samples[-1].energy_wh), Decimal(0), ConnectorState.SUSPENDED
                    )
                )
            totals = price_samples(decode_tariff(json.dumps(TARIFF)), samples, "Europe/Amsterdam")
            minor = int(totals.amount_due / minor_unit_exponent("EUR"))
            return totals.amount_due, minor
    finally:
        await engine.dispose()


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_start_watch_stop_and_pay_exactly(database_url: str, version: str) -> None:
    async with serve(database_url, version=version) as net, httpx.AsyncClient(timeout=10) as client:
        headers = await net.driver(client, f"driver-{version}@example.com")
        evse = net.evse_uids[0]
        quote = (await client.get(f"{net.base}/v1/sessions/quote", params={"evseUid": evse})).json()
        assert quote["currency"] == "EUR"
        assert "0.47" in quote["priceText"]  # 0.39 + 21 % VAT per kWh, shown before the start
        # the example agrees with itself: 20 kWh at the 22 kW socket take 55 minutes, which cost
        # (20 x 0.39 + 0.50 + 55/60 h x 1.20) + 21 % VAT = 11.374
        example = (quote["exampleEnergyKwh"], quote["exampleChargingMinutes"], quote["exampleCost"])
        assert example == ("20", 55, "11.37")

        missing_key = await client.post(f"{net.base}/v1/sessions", json={"evseUid": evse}, headers=headers)
        assert missing_key.status_code == 422
        key = {"Idempotency-Key": str(uuid.uuid4()), **headers}
        started = await client.post(f"{net.base}/v1/sessions", json={"evseUid": evse}, headers=key)
        assert started.status_code == 202, started.text
        session = started.json()
        assert session["status"] == "starting"
        again = await client.post(f"{net.base}/v1/sessions", json={"evseUid": evse}, headers=key)
        assert again.json()["id"] == session["id"]
        session_id = session["id"]

        async def charging() -> bool:
            return await session_status(client, net.base, headers, session_id) == "charging"

        await wait_for(charging, "the charger to report the transaction")
        token = headers["Authorization"].removeprefix("Bearer ")
        live_url = net.base.replace("http", "ws") + f"/v1/sessions/{session_id}/live?token={token}"
        async with websockets.connect(live_url) as socket:
            updates = [json.loads(await asyncio.wait_for(socket.recv(), 5)) for _ in range(4)]
        energies = [Decimal(u["energyKwh"]) for u in updates]
        assert energies[-1] > energies[0] >= 0
        assert updates[-1]["cost"]["currency"] == "EUR"
        assert Decimal(updates[-1]["cost"]["amount"]) > Decimal("0.50")
        assert updates[-1]["powerKw"] is not None

        async with client.stream(
            "GET", f"{net.base}/v1/sessions/{session_id}/events", headers=headers, timeout=10
        ) as events:
            seen = 0
            async for line in events.aiter_lines():
                if line.startswith("data:"):
                    seen += 1
                    assert json.loads(line[5:])["id"] == session_id
                if seen == 2:
                    break

        stopped = await client.post(f"{net.base}/v1/sessions/{session_id}/stop", headers=headers)
        assert stopped.status_code == 202
        assert stopped.json()["status"] == "stopping"
        assert (await client.post(f"{net.base}/v1/sessions/{session_id}/stop", headers=headers)).status_code == 202

        async def completed() -> bool:
            return await session_status(client, net.base, headers, session_id) == "completed"

        await wait_for(completed, "the session to end and be billed")
        final = (await client.get(f"{net.base}/v1/sessions/{session_id}", headers=headers)).json()
        amount_due, minor = await expected_bill(net.database_url, session_id)
        assert Decimal(final["cost"]["amount"]) == amount_due
        assert final["payment"]["status"] == "billed_outside"
        assert Decimal(final["payment"]["captured"]) == 0  # billed outside the app: no money taken here
        assert minor > 0

        receipt = (await client.get(f"{net.base}/v1/sessions/{session_id}/receipt", headers=headers)).json()
        assert Decimal(receipt["amountDue"]) == amount_due
        assert [line["description"] for line in receipt["lines"]][:1] == ["Energy"]
        assert sum(Decimal(line["amountInclVat"]) for line in receipt["lines"]) == Decimal(receipt["totalInclVat"])
        assert Decimal(receipt["totalInclVat"]) == amount_due
        assert receipt["timeZone"] == "Europe/Amsterdam"
        assert receipt["startedAt"][-6:] in ("+01:00", "+02:00")
        assert receipt["lines"][0]["unitPriceExclVat"] == "0.39"
        assert receipt["lines"][0]["vatRate"] == "21"
        page = await client.get(f"{net.base}/v1/sessions/{session_id}/receipt.html", headers=headers)
        assert page.status_code == 200
        assert f"{amount_due} EUR" in page.text
        # the printable receipt opens in a browser from its link, without an Authorization header
        link = receipt["printUrl"].replace(receipt["printUrl"].split("/v1/")[0], net.base)
        printed = await client.get(link)
        assert printed.status_code == 200
        assert printed.headers["content-type"].startswith("text/html")
        assert "Billed outside the app" in printed.text
        assert f"{amount_due} EUR" in printed.text
        forged = await client.get(link.replace("token=", "token=9"))  # an expiry moved on, its signature kept
        assert forged.status_code == 404
        assert forged.headers["content-type"].startswith("application/problem+json")

        history = (await client.get(f"{net.base}/v1/sessions", headers=headers)).json()
        assert [item["id"] for item in history["items"]] == [session_id]
        csv_text = (await client.get(f"{net.base}/v1/sessions/export.csv", headers=headers)).text
        assert session_id in csv_text
        assert str(amount_due) in csv_text
        assert (await client.get(f"{net.base}/v1/sessions/active", headers=headers)).json() == []


async def test_failure_paths_and_the_connector_race(database_url: str) -> None:
    async with serve(database_url, chargers=2) as net, httpx.AsyncClient(timeout=10) as client:
        alice = await net.driver(client, "alice@example.com")
        bob = await net.driver(client, "bob@example.com")
        evse = net.evse_uids[0]

        unknown = await client.post(
            f"{net.base}/v1/sessions", json={"evseUid": "nope"}, headers={"Idempotency-Key": "k0", **alice}
        )
        assert unknown.status_code == 404
        assert unknown.headers["content-type"].startswith("application/problem+json")

        race = await asyncio.gather(
            client.post(f"{net.base}/v1/sessions", json={"evseUid": evse}, headers={"Idempotency-Key": "a1", **alice}),
            client.post(f"{net.base}/v1/sessions", json={"evseUid": evse}, headers={"Idempotency-Key": "b1", **bob}),
        )
        codes = sorted(r.status_code for r in race)
        assert codes == [202, 409], [r.text for r in race]
        loser = next(r for r in race if r.status_code == 409).json()
        assert loser["type"] == "urn:voltway:problem:connector-busy"
        carol = await net.driver(client, "carol@example.com")

        # the charger refuses a second start on a busy connector: reported as a conflict up front
        busy = await client.post(
            f"{net.base}/v1/sessions", json={"evseUid": evse}, headers={"Idempotency-Key": "c1", **carol}
        )
        assert busy.status_code == 409
        assert busy.json()["type"] == "urn:voltway:problem:connector-busy"

        # the charger goes away: offline is a conflict with a clear reason
        net.simulators[0].request_stop()
        await asyncio.sleep(0.5)

        async def offline() -> bool:
            answer = await client.post(
                f"{net.base}/v1/sessions",
                json={"evseUid": net.evse_uids[1]},
                headers={"Idempotency-Key": str(uuid.uuid4()), **carol},
            )
            return (
                answer.status_code == 409
                and "offline" in answer.json()["detail"]
                and answer.json()["type"] == "urn:voltway:problem:charger-offline"
            )

        await wait_for(offline, "the charger to be shown offline")


class HeldPayments:
    """The deployment's payment provider, with holds that wait until the test lets them through."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def authorize(self, *args: Any, **kwargs: Any) -> Any:
        self.entered.set()
        await self.release.wait()
        return await self.inner.authorize(*args, **kwargs)


async def test_a_driver_runs_one_session_and_a_key_names_one_request(database_url: str) -> None:
    async with serve(database_url, chargers=2) as net, httpx.AsyncClient(timeout=10) as client:
        dana = await net.driver(client, "dana@example.com")
        first_evse, second_evse = net.evse_uids
        service = net.app.state.sessions
        payments = service.payments = HeldPayments(service.payments)

        def start(evse: str, key: str) -> Any:
            return client.post(
                f"{net.base}/v1/sessions", json={"evseUid": evse}, headers={"Idempotency-Key": key, **dana}
            )

        # the same key again while the first request is still being processed: 409, then the same session
        pending = asyncio.create_task(start(first_evse, "k1"))
        await asyncio.wait_for(payments.entered.wait(), 10)
        in_progress = await start(first_evse, "k1")
        assert in_progress.status_code == 409
        assert in_progress.json()["type"] == "urn:voltway:problem:request-in-progress"
        payments.release.set()
        started = await pending
        assert started.status_code == 202, started.text
        session_id = started.json()["id"]
        replay = await start(first_evse, "k1")
        assert (replay.status_code, replay.json()["id"]) == (202, session_id)

        # the same key with another body is refused, not answered with the first session
        reused = await start(second_evse, "k1")
        assert reused.status_code == 422
        assert reused.json()["type"] == "urn:voltway:problem:idempotency-key-reused"
        assert session_id in reused.json()["detail"]

        # starting again where the driver already charges says so, and which session it is
        own = await start(first_evse, "k2")
        assert own.status_code == 409
        assert own.json()["type"] == "urn:voltway:problem:session-already-active"
        assert "already have a session at this EVSE" in own.json()["detail"]
        assert own.json()["sessionId"] == session_id
        assert session_id in own.json()["detail"]

        # a second EVSE at the same time: one active app session per driver by default
        elsewhere = await start(second_evse, "k3")
        assert elsewhere.status_code == 409
        assert elsewhere.json()["type"] == "urn:voltway:problem:session-already-active"
        assert elsewhere.json()["sessionId"] == session_id
        assert first_evse in elsewhere.json()["detail"]
        active = (await client.get(f"{net.base}/v1/sessions/active", headers=dana)).json()
        assert [s["id"] for s in active] == [session_id]

        # once that session is over the driver may start anew
        await client.post(f"{net.base}/v1/sessions/{session_id}/stop", headers=dana)

        async def over() -> bool:
            return await session_status(client, net.base, dana, session_id) in ("completed", "failed")

        await wait_for(over, "the first session to end")
        again = await start(second_evse, "k4")
        assert again.status_code == 202, again.text


async def test_the_active_session_limit_is_a_setting(database_url: str) -> None:
    async with (
        serve(database_url, chargers=2, max_active_sessions_per_driver=2) as net,
        httpx.AsyncClient(timeout=10) as client,
    ):
        fleet = await net.driver(client, "fleet@example.com")
        answers = [
            await client.post(
                f"{net.base}/v1/sessions", json={"evseUid": evse}, headers={"Idempotency-Key": evse, **fleet}
            )
            for evse in net.evse_uids
        ]
        assert [a.status_code for a in answers] == [202, 202], [a.text for a in answers]


async def test_a_start_the_charger_never_acts_on_fails_and_frees_the_connector(database_url: str) -> None:
    async with serve(database_url, chargers=1) as net, httpx.AsyncClient(timeout=10) as client:
        driver = await net.driver(client, "carol@example.com")
        # the charger accepts the command but never starts: stop its simulation right after the command
        net.simulators[0].request_stop()
        started = await client.post(
            f"{net.base}/v1/sessions",
            json={"evseUid": net.evse_uids[0]},
            headers={"Idempotency-Key": "late", **driver},
        )
        if started.status_code == 409:  # the charger was already shown offline: also a clear refusal
            assert "offline" in started.json()["detail"]
            return
        session_id = started.json()["id"]

        async def failed() -> dict[str, Any] | None:
            view = (await client.get(f"{net.base}/v1/sessions/{session_id}", headers=driver)).json()
            return view if view["status"] == "failed" else None

        view = await wait_for(failed, "the start to time out", seconds=30)
        assert view["failureReason"]
        engine = create_engine(net.database_url)
        try:
            async with create_session_factory(engine)() as session:
                kinds = (await session.execute(select(Notification.kind))).scalars().all()
        finally:
            await engine.dispose()
        assert "session_failed" in kinds


async def test_rfid_sessions_are_sessions_too(database_url: str) -> None:
    async with serve(database_url, chargers=1) as net, httpx.AsyncClient(timeout=10) as client:
        headers = await net.driver(client, "dave@example.com")
        engine = create_engine(net.database_url)
        try:
            async with create_session_factory(engine)() as session:
                await add_token(session, "DAVECARD01", driver_email="dave@example.com")
                await session.commit()
        finally:
            await engine.dispose()
        # the driver taps the card: the charger authorises and starts on its own
        charger = net.simulators[0].chargers[0]
        charger.remote_start = "DAVECARD01"
        charger.wake.set()

        async def active() -> list[dict[str, Any]] | None:
            items: list[dict[str, Any]] = (await client.get(f"{net.base}/v1/sessions/active", headers=headers)).json()
            return items or None

        sessions = await wait_for(active, "the RFID session to show in the app")
        assert sessions[0]["source"] == "rfid"
        stopped = await client.post(f"{net.base}/v1/sessions/{sessions[0]['id']}/stop", headers=headers)
        assert stopped.status_code == 202

        async def completed() -> bool:
            return await session_status(client, net.base, headers, sessions[0]["id"]) == "completed"

        await wait_for(completed, "the RFID session to be billed")


async def test_a_restart_mid_session_keeps_counting(database_url: str) -> None:
    """The server stops while the car charges and a new one takes over; the final bill covers every sample."""
    async with serve(database_url, chargers=1) as net, httpx.AsyncClient(timeout=10) as client:
        headers = await net.driver(client, "erin@example.com")
        started = await client.post(
            f"{net.base}/v1/sessions",
            json={"evseUid": net.evse_uids[0]},
            headers={"Idempotency-Key": "restart", **headers},
        )
        session_id = started.json()["id"]

        async def charging() -> bool:
            return await session_status(client, net.base, headers, session_id) == "charging"

        await wait_for(charging, "charging")
        await asyncio.sleep(2)
        simulator = net.simulators[0]
    # the first server is gone (the simulator too); a new server and the same charger carry on
    async with serve_again(database_url, simulator) as net2, httpx.AsyncClient(timeout=10) as client:
        login = (
            await client.post(
                f"{net2.base}/v1/auth/login", json={"email": "erin@example.com", "password": "long enough password"}
            )
        ).json()
        headers = {"Authorization": f"Bearer {login['accessToken']}"}
        view = (await client.get(f"{net2.base}/v1/sessions/{session_id}", headers=headers)).json()
        assert view["status"] == "charging"
        before = Decimal(view["energyKwh"])
        await asyncio.sleep(3)
        later = (await client.get(f"{net2.base}/v1/sessions/{session_id}", headers=headers)).json()
        assert Decimal(later["energyKwh"]) > before
        await client.post(f"{net2.base}/v1/sessions/{session_id}/stop", headers=headers)

        async def completed() -> bool:
            return await session_status(client, net2.base, headers, session_id) == "completed"

        await wait_for(completed, "the session to end after the restart")
        final = (await client.get(f"{net2.base}/v1/sessions/{session_id}", headers=headers)).json()
        amount_due, _ = await expected_bill(database_url, session_id)
        assert Decimal(final["cost"]["amount"]) == amount_due


@contextlib.asynccontextmanager
async def serve_again(database_url: str, previous: Simulation) -> AsyncIterator[Network]:
    """A second server on the same database; the previous simulator's charger state continues in a new run."""
    async with served_app(database_url) as (app, base, ocpp_url), running(resume(previous, ocpp_url)) as simulation:
        yield Network(base, ocpp_url, database_url, [], [simulation], app)


def resume(previous: Simulation, url: str) -> Simulation:
    """The same chargers (mid-transaction, same meters) connecting to another central system."""
    config = msgspec.structs.replace(previous.config, url=url)
    simulation = Simulation(config)
    for charger in previous.chargers:
        charger.config = config
    simulation.chargers = previous.chargers
    return simulation


async def test_guests_cannot_charge_where_the_network_takes_no_card_payments(database_url: str) -> None:
    """With the `none` provider nothing could be held on a card: a guest start is refused and nothing is stored."""
    async with serve(database_url, chargers=1) as net, httpx.AsyncClient(timeout=10) as client:
        quote = (await client.get(f"{net.base}/v1/sessions/quote", params={"evseUid": net.evse_uids[0]})).json()
        assert quote["priceText"]  # the price is still shown without an account
        email = f"free-rider-{uuid.uuid4().hex[:8]}@example.com"
        refused = await client.post(
            f"{net.base}/v1/guest/sessions",
            json={"evseUid": net.evse_uids[0], "email": email},
            headers={"Idempotency-Key": "free-ride"},
        )
        assert refused.status_code == 402, refused.text
        problem = refused.json()
        assert refused.headers["content-type"] == "application/problem+json"
        assert problem["type"] == "urn:voltway:problem:guest-charging-unavailable"
        assert "card" in problem["detail"]
        engine = create_engine(net.database_url)
        try:
            async with create_session_factory(engine)() as session:
                stored = (
                    await session.execute(select(ChargingSession).where(ChargingSession.guest_email == email))
                ).all()
                mails = (await session.execute(select(MailMessage).where(MailMessage.to_address == email))).all()
        finally:
            await engine.dispose()
        assert stored == []
        assert mails == []


class _Gateway:
    """A push gateway of the operator's: records what the webhook provider posts."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = await asgi_body(receive)
        self.received.append(json.loads(body))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


async def test_notifications_reach_the_drivers_devices_and_idle_time_is_billed(database_url: str) -> None:
    gateway = _Gateway()
    gateway_port = free_port()
    gateway_server = uvicorn.Server(uvicorn.Config(gateway, port=gateway_port, log_level="warning", lifespan="off"))
    gateway_task = asyncio.create_task(gateway_server.serve())
    try:
        async with (
            serve(
                database_url,
                chargers=1,
                notification_provider="webhook",
                notification_webhook_url=f"http://127.0.0.1:{gateway_port}/push",
                idle_fee_per_minute=Decimal("0.10"),
                idle_fee_grace_minutes=0,
            ) as net,
            httpx.AsyncClient(timeout=10) as client,
        ):
            headers = await net.driver(client, "frank@example.com")
            device = await client.post(
                f"{net.base}/v1/me/devices", json={"platform": "android", "token": "fcm-token-1"}, headers=headers
            )
            assert device.status_code == 201
            assert [d["platform"] for d in (await client.get(f"{net.base}/v1/me/devices", headers=headers)).json()] == [
                "android"
            ]
            quote = (await client.get(f"{net.base}/v1/sessions/quote", params={"evseUid": net.evse_uids[0]})).json()
            assert "idle" in quote["priceText"].lower()
            started = await client.post(
                f"{net.base}/v1/sessions",
                json={"evseUid": net.evse_uids[0]},
                headers={"Idempotency-Key": "idle", **headers},
            )
            session_id = started.json()["id"]

            async def charging() -> bool:
                return await session_status(client, net.base, headers, session_id) == "charging"

            await wait_for(charging, "charging")

            async def energy_flowing() -> bool:
                view = (await client.get(f"{net.base}/v1/sessions/{session_id}", headers=headers)).json()
                return Decimal(view["energyKwh"]) > 0

            await wait_for(energy_flowing, "energy to flow")
            assert gateway.received == []  # no idle warning while charging
            car = net.simulators[0].chargers[0]
            car.rng.expovariate = lambda lambd: 1_000_000.0  # type: ignore[method-assign]  # the driver stays away
            car.target_soc = car.soc  # the battery is full: the car stops taking energy

            def kinds() -> set[str]:
                return {item["kind"] for item in gateway.received}

            async def warned() -> bool:
                return {"charging_complete", "idle_fee_soon"} <= kinds()

            await wait_for(warned, "the charging-complete and idle-fee notifications")

            async def suspended() -> bool:
                return await session_status(client, net.base, headers, session_id) == "suspended"

            await wait_for(suspended, "the session to show the car has stopped taking energy")
            assert all(item["device_token"] == "fcm-token-1" for item in gateway.received)
            await asyncio.sleep(4)  # idling, with no grace period
            await client.post(f"{net.base}/v1/sessions/{session_id}/stop", headers=headers)

            async def completed() -> bool:
                return await session_status(client, net.base, headers, session_id) == "completed"

            await wait_for(completed, "billing")
            final = (await client.get(f"{net.base}/v1/sessions/{session_id}", headers=headers)).json()
            assert Decimal(final["cost"]["breakdown"]["idle"]) > 0
            assert final["idleSeconds"] >= 3

            async def receipt_sent() -> bool:
                return "receipt_ready" in kinds()

            await wait_for(receipt_sent, "the receipt notification")
    finally:
        gateway_server.should_exit = True
        await asyncio.wait_for(gateway_task, 10)


async def test_a_charger_that_refuses_the_start_fails_the_session_with_the_reason(database_url: str) -> None:
    async with serve(database_url, chargers=1) as net, httpx.AsyncClient(timeout=10) as client:
        headers = await net.driver(client, "refused@example.com")
        car = net.simulators[0].chargers[0]
        car._accept_start = lambda token: False  # type: ignore[method-assign]  # e.g. the cable is not locked
        started = await client.post(
            f"{net.base}/v1/sessions", json={"evseUid": net.evse_uids[0]}, headers={"Idempotency-Key": "r", **headers}
        )
        assert started.status_code == 202
        session_id = started.json()["id"]

        async def failed() -> dict[str, Any] | None:
            view = (await client.get(f"{net.base}/v1/sessions/{session_id}", headers=headers)).json()
            return view if view["status"] == "failed" else None

        view = await wait_for(failed, "the refused start")
        assert "refused" in view["failureReason"]
        again = await client.post(
            f"{net.base}/v1/sessions", json={"evseUid": net.evse_uids[0]}, headers={"Idempotency-Key": "r2", **headers}
        )
        assert again.status_code == 202  # the connector is free again


async def test_a_session_whose_charger_goes_silent_is_closed_and_billed(database_url: str) -> None:
    async with serve(database_url, chargers=1) as net, httpx.AsyncClient(timeout=10) as client:
        headers = await net.driver(client, "silent@example.com")
        started = await client.post(
            f"{net.base}/v1/sessions", json={"evseUid": net.evse_uids[0]}, headers={"Idempotency-Key": "s", **headers}
        )
        session_id = started.json()["id"]

        async def charging() -> bool:
            return await session_status(client, net.base, headers, session_id) == "charging"

        await wait_for(charging, "charging")
        await asyncio.sleep(2)
        net.simulators[0].request_stop()  # the charger disappears mid-session and never reports the end
        await asyncio.sleep(1)
        engine = create_engine(net.database_url)
        try:
            async with create_session_factory(engine)() as session, session.begin():
                record = await session.get(ChargingSession, uuid.UUID(session_id))
                assert record is not None
                transaction = await session.get(ChargingTransaction, record.transaction_id)
                assert transaction is not None
                transaction.updated_at = transaction.updated_at - timedelta(hours=25)  # a day of silence
        finally:
            await engine.dispose()
        await net.app.state.sessions.reconcile()
        final = (await client.get(f"{net.base}/v1/sessions/{session_id}", headers=headers)).json()
        assert final["status"] == "completed"
        assert "reported nothing" in final["stopReason"]
        assert Decimal(final["cost"]["amount"]) > 0  # billed for what was measured
