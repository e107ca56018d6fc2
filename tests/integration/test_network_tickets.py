"""The network opens tickets itself: a charger that faults or drops its connection while a driver charges on it opens
one high-priority ticket per charger problem, linked to the driver and the session, and a repeat updates that
ticket. The app with its OCPP bridge served by uvicorn, chargers over real websockets, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from api.db.models import (
    ChargingSession,
    ChargingStation,
    Evse,
    SupportTicket,
    SupportTicketEvent,
    SupportTicketMessage,
    User,
)
from api.domain.support.network_tickets import NetworkTickets
from tests.faults.charger import ScriptedCharger
from tests.integration.test_sessions import PASSWORD, _all_available, _prepare, serve, served_app, session_status
from tests.support import database_session, wait_for


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Site:
    app: Any
    base: str
    database_url: str
    client: httpx.AsyncClient
    charger: ScriptedCharger
    evse_uid: str
    alert_tickets: Any = None  # the operations alerts' ticket opener, switched off unless a test puts it back

    @property
    def tickets_service(self) -> NetworkTickets:
        service: NetworkTickets = self.app.state.network_tickets
        return service

    async def driver(self, email: str) -> dict[str, str]:
        password = "long enough password"
        await self.client.post(
            f"{self.base}/v1/auth/register", json={"email": email, "password": password, "name": "Driver"}
        )
        login = await self.client.post(f"{self.base}/v1/auth/login", json={"email": email, "password": password})
        return {"Authorization": f"Bearer {login.json()['accessToken']}"}

    async def charge(self, headers: dict[str, str]) -> str:
        started = await self.client.post(
            f"{self.base}/v1/sessions",
            json={"evseUid": self.evse_uid},
            headers={"Idempotency-Key": str(uuid.uuid4()), **headers},
        )
        assert started.status_code == 202, started.text
        session_id: str = started.json()["id"]

        async def charging() -> bool:
            return await session_status(self.client, self.base, headers, session_id) == "charging"

        await wait_for(charging, "the session charging")
        return session_id

    async def fault(self, error_code: str, *, status: str = "Faulted") -> None:
        """A StatusNotification; answered only once the backend has taken it (and scheduled its ticket work)."""
        payload = {
            "connectorId": 1,
            "errorCode": error_code,
            "status": status,
            "timestamp": _now(),
            "vendorErrorCode": f"V-{error_code[:6]}",
        }
        await self.charger.call("StatusNotification", payload)
        await self.tickets_service.drain()


def bridge_tickets_alone(app: Any) -> Any:
    """These tests follow the bridge's own ticket path; the operations alerts on the same charger problems group
    onto the same tickets (tests/integration/test_operation_alerts.py), here they open none. Returns the alerts'
    ticket opener, for a test that puts it back."""
    opener = app.state.alert_engine.tickets
    app.state.alert_engine.tickets = None
    return opener


@pytest.fixture
async def site(database_url: str) -> AsyncIterator[Site]:
    """One charger (SES-00001, one connector) online and available."""
    evse_uids = await _prepare(database_url, 1)
    async with served_app(database_url) as (app, base, ocpp_url), httpx.AsyncClient(timeout=10) as client:
        alert_tickets = bridge_tickets_alone(app)
        charger = ScriptedCharger("SES-00001", PASSWORD)
        await charger.connect(ocpp_url)
        try:
            await wait_for(lambda: _all_available(client, base, len(evse_uids)), "the charger available")
            yield Site(app, base, database_url, client, charger, evse_uids[0], alert_tickets)
        finally:
            await charger.close()


async def tickets(database_url: str) -> list[SupportTicket]:
    async with database_session(database_url) as session:
        return list((await session.execute(select(SupportTicket).order_by(SupportTicket.id))).scalars())


async def messages(database_url: str, ticket_id: int) -> list[SupportTicketMessage]:
    async with database_session(database_url) as session:
        query = select(SupportTicketMessage).where(SupportTicketMessage.ticket_id == ticket_id)
        return list((await session.execute(query.order_by(SupportTicketMessage.id))).scalars())


async def actions(database_url: str, ticket_id: int) -> list[str]:
    async with database_session(database_url) as session:
        query = select(SupportTicketEvent.action).where(SupportTicketEvent.ticket_id == ticket_id)
        return list((await session.execute(query.order_by(SupportTicketEvent.id))).scalars())


async def assert_available_stored(site: Site) -> None:
    """Write what the bridge buffered, then check what starting a session reads: the stored OCPP status and the
    EVSE's own status. Flushing waits for a write in progress, so a fault still being written cannot land after
    the check (polling the row could see the status from before the fault and pass too early)."""
    await site.app.state.bridge.live.flush()
    async with database_session(site.database_url) as session:
        query = select(Evse.ocpp_status, Evse.status).where(Evse.uid == site.evse_uid)
        assert tuple((await session.execute(query)).one()) == ("Available", "AVAILABLE")


async def user_id_of(database_url: str, email: str) -> uuid.UUID:
    async with database_session(database_url) as session:
        return (await session.execute(select(User.id).where(User.email == email))).scalar_one()


async def test_a_fault_during_a_session_opens_one_ticket_and_a_repeat_updates_it(site: Site) -> None:
    await site.fault("GroundFailure")  # nobody charging: nothing for an agent to reach out about
    assert await tickets(site.database_url) == []
    await site.charger.status("Available")
    await wait_for(lambda: _all_available(site.client, site.base, 1), "the connector available again")
    # the map hears of a status at once, starting a session reads the stored one, written a moment later
    await assert_available_stored(site)

    email = f"faulted-{uuid.uuid4().hex[:8]}@example.com"
    headers = await site.driver(email)
    session_id = await site.charge(headers)
    async with site.app.state.ticket_feed.subscribe_queue() as queue:
        await site.fault("GroundFailure")
        shown = await asyncio.wait_for(queue.get(), 10)  # the agents' live queue hears of it at once

    [ticket] = await tickets(site.database_url)
    assert shown is not None
    assert shown.kind == "ticket"
    assert json.loads(shown.data)["number"] == f"T-{ticket.id:06d}"
    assert json.loads(shown.data)["source"] == "network"
    assert (ticket.source, ticket.category, ticket.priority, ticket.status) == (
        "network",
        "charger_fault",
        "high",
        "new",
    )
    assert ticket.user_id == await user_id_of(site.database_url, email)
    assert ticket.session_id == uuid.UUID(session_id)
    assert ticket.charger_id == "SES-00001"
    assert ticket.dedupe_key == "network:SES-00001:fault"
    async with database_session(site.database_url) as session:
        charging = await session.get(ChargingSession, uuid.UUID(session_id))
        assert charging is not None
        assert (ticket.evse_id, ticket.location_id) == (charging.evse_id, charging.location_id)
    assert "SES-00001" in ticket.summary
    assert "connector 1" in ticket.summary
    assert "GroundFailure" in ticket.summary
    assert ticket.first_response_due_at is not None
    [first] = await messages(site.database_url, ticket.id)
    assert first.visibility == "system"
    assert "OCPP error code: GroundFailure" in first.text
    assert "V-Ground" in first.text  # the vendor's own code, for the agent
    assert session_id in first.text

    await site.fault("OverCurrentFailure")  # the same charger again: the same ticket, told what happened
    [again] = await tickets(site.database_url)
    assert again.id == ticket.id
    texts = [m.text for m in await messages(site.database_url, ticket.id)]
    assert len(texts) == 2
    assert "OCPP error code: OverCurrentFailure" in texts[1]
    assert (await actions(site.database_url, ticket.id)).count("grouped") == 1

    # an error code with a status that is not Faulted is a fault too, grouped with the others
    await site.fault("HighTemperature", status="Charging")
    [still] = await tickets(site.database_url)
    assert len(await messages(site.database_url, still.id)) == 3


async def test_a_ticket_an_operations_alert_opened_becomes_the_affected_drivers(site: Site) -> None:
    """Faulted with nobody charging, the operations alert opens the problem's ticket; the fault during a driver's
    session then lands on that ticket and links the driver and the session to it."""
    engine = site.app.state.alert_engine
    engine.tickets = site.alert_tickets
    await site.fault("GroundFailure")

    async def alert_ticket() -> list[SupportTicket]:
        await engine.settle()
        return await tickets(site.database_url)

    [opened] = await wait_for(alert_ticket, "the alert's ticket")
    assert (opened.user_id, opened.session_id, opened.dedupe_key) == (None, None, "network:SES-00001:fault")
    assert "GroundFailure" in opened.summary

    await site.charger.status("Available")
    await assert_available_stored(site)
    email = f"alerted-{uuid.uuid4().hex[:8]}@example.com"
    session_id = await site.charge(await site.driver(email))
    await site.fault("GroundFailure")
    await site.tickets_service.drain()
    [ticket] = await tickets(site.database_url)
    assert ticket.id == opened.id
    assert ticket.user_id == await user_id_of(site.database_url, email)
    assert ticket.session_id == uuid.UUID(session_id)


async def test_a_charger_dropping_its_connection_during_a_session_opens_an_offline_ticket(site: Site) -> None:
    email = f"offline-{uuid.uuid4().hex[:8]}@example.com"
    session_id = await site.charge(await site.driver(email))
    await site.charger.drop()

    async def opened() -> list[SupportTicket]:
        return await tickets(site.database_url)

    [ticket] = await wait_for(opened, "the offline ticket")
    assert (ticket.source, ticket.category, ticket.priority) == ("network", "charger_offline", "high")
    assert ticket.dedupe_key == "network:SES-00001:offline"
    assert ticket.session_id == uuid.UUID(session_id)
    assert ticket.user_id == await user_id_of(site.database_url, email)
    assert "SES-00001" in ticket.summary
    assert "offline" in ticket.summary
    [line] = await messages(site.database_url, ticket.id)
    assert "Connection lost" in line.text


async def test_an_idle_charger_going_offline_and_the_server_stopping_open_no_ticket(database_url: str) -> None:
    evse_uids = await _prepare(database_url, 1)
    async with served_app(database_url) as (app, base, ocpp_url), httpx.AsyncClient(timeout=10) as client:
        bridge_tickets_alone(app)
        charger = ScriptedCharger("SES-00001", PASSWORD)
        await charger.connect(ocpp_url)
        await wait_for(lambda: _all_available(client, base, len(evse_uids)), "the charger available")
        await charger.drop()

        async def offline() -> bool:
            async with database_session(database_url) as session:
                query = select(ChargingStation.connected).where(ChargingStation.ocpp_id == "SES-00001")
                return not (await session.execute(query)).scalar_one()

        await wait_for(offline, "the charger shown offline")
        await app.state.network_tickets.drain()
        assert await tickets(database_url) == []


async def test_the_server_shutting_down_during_a_session_is_no_charger_going_offline(database_url: str) -> None:
    evse_uids = await _prepare(database_url, 1)
    async with served_app(database_url) as (_, base, ocpp_url), httpx.AsyncClient(timeout=10) as client:
        charger = ScriptedCharger("SES-00001", PASSWORD)
        await charger.connect(ocpp_url)
        await wait_for(lambda: _all_available(client, base, len(evse_uids)), "the charger available")
        site = Site(None, base, database_url, client, charger, evse_uids[0])
        await site.charge(await site.driver(f"shutdown-{uuid.uuid4().hex[:8]}@example.com"))
    # the server stopped (closing the charger's connection) with the session still running
    await charger.close()
    assert await tickets(database_url) == []


async def test_ocpp_201_faulted_connector_and_problem_event(database_url: str) -> None:
    async with serve(database_url, chargers=1, version="2.0.1") as net, httpx.AsyncClient(timeout=10) as client:
        bridge_tickets_alone(net.app)
        email = f"v201-{uuid.uuid4().hex[:8]}@example.com"
        headers = await net.driver(client, email)
        started = await client.post(
            f"{net.base}/v1/sessions",
            json={"evseUid": net.evse_uids[0]},
            headers={"Idempotency-Key": str(uuid.uuid4()), **headers},
        )
        session_id = started.json()["id"]

        async def charging() -> bool:
            return await session_status(client, net.base, headers, session_id) == "charging"

        await wait_for(charging, "the session charging")
        charger = net.simulators[0].chargers[0]
        status = {"timestamp": _now(), "connectorStatus": "Faulted", "evseId": 1, "connectorId": 1}
        await charger.call("StatusNotification", status)
        await net.app.state.network_tickets.drain()
        [ticket] = await tickets(database_url)
        assert (ticket.category, ticket.session_id, ticket.charger_id) == (
            "charger_fault",
            uuid.UUID(session_id),
            "SES-00001",
        )
        assert "SES-00001" in ticket.summary
        assert "connector 1" in ticket.summary

        problem = {
            "eventId": 7,
            "timestamp": _now(),
            "trigger": "Alerting",
            "actualValue": "true",
            "techCode": "RCD-TRIP",
            "component": {"name": "EVSE", "evse": {"id": 1}},
            "variable": {"name": "Problem"},
            "eventNotificationType": "HardWiredMonitor",
        }
        await charger.call("NotifyEvent", {"generatedAt": _now(), "seqNo": 0, "eventData": [problem]})
        await net.app.state.network_tickets.drain()
        [same] = await tickets(database_url)
        assert same.id == ticket.id
        # the bridge's own lines (the operations alert on the same problem adds lines of its own)
        texts = [m.text for m in await messages(database_url, ticket.id) if m.text.startswith("Fault reported")]
        assert len(texts) == 2
        assert "OCPP error code: RCD-TRIP" in texts[1]
