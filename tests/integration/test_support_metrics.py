"""Support metrics from real data on both databases: conversations through the chat API, tickets opened by the
assistant and by agents through the workflow, agents' replies, charger boots and status reports through the live
state writer; the numbers asserted are the ones a desk lead would work out by hand from that history."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from api.db.engine import create_engine, create_session_factory
from api.db.models import ChargingStation, ChatConversation, Evse
from api.db.types import utc_now
from api.domain.chargers.live_writer import LiveStateWriter
from api.domain.chargers.provisioning import add_charger
from api.domain.drivers.commands import add_user
from api.domain.support.audit import SYSTEM, Actor
from api.domain.support.sla import build_policy
from api.domain.support.workflow import add_message, change_status, open_ticket
from api.security.tokens import Role
from tests.integration.conftest import ClientFactory
from tests.integration.test_chat import charger_with_session, signed_in, user_id
from tests.support import database_session, make_settings

Client = AsyncTestClient[Litestar]
STAFF_PASSWORD = "a staff password 123"
POLICY = build_policy("", "", "UTC")


async def staff(database_url: str, email: str, role: Role = "agent") -> Actor:
    settings = make_settings(database_url=database_url)
    name = email.split("@")[0].title()
    await add_user(settings, email=email, password=STAFF_PASSWORD, role=role, name=name)
    return Actor(uuid.UUID(await _id_of(database_url, email)), role, name)


async def _id_of(database_url: str, email: str) -> str:
    return str(await user_id(database_url, email))


async def live_writer(database_url: str) -> tuple[LiveStateWriter, AsyncEngine]:
    engine = create_engine(database_url)
    return LiveStateWriter(create_session_factory(engine)), engine


async def boot(database_url: str, ocpp_id: str, model: str, firmware: str) -> None:
    """A charger that exists and has told us its model and firmware (BootNotification, written as the bridge does)."""
    async with database_session(database_url) as session:
        station = (
            await session.execute(select(ChargingStation).where(ChargingStation.ocpp_id == ocpp_id))
        ).scalar_one_or_none()
        if station is None:
            station, _ = await add_charger(
                session, ocpp_id=ocpp_id, password="a charger secret 123", country_code="NL", party_id="VWY"
            )
        station_id = station.id
    writer, engine = await live_writer(database_url)
    try:
        writer.booted(
            station_id,
            vendor="Voltway Labs",
            model=model,
            firmware_version=firmware,
            serial_number=None,
            ocpp_version="1.6",
            at=utc_now(),
        )
        await writer.flush()
    finally:
        await engine.dispose()


async def report_status(database_url: str, ocpp_id: str, ocpp_status: str, at: datetime) -> None:
    """Connector 1 of the charger reports a status, written as the bridge's live state writer writes it."""
    async with database_session(database_url) as session:
        station = (
            await session.execute(select(ChargingStation).where(ChargingStation.ocpp_id == ocpp_id))
        ).scalar_one()
        evse = (await session.execute(select(Evse).where(Evse.charging_station_id == station.id))).scalar_one()
    writer, engine = await live_writer(database_url)
    try:
        writer.status(
            station_id=station.id,
            evse_id=evse.id,
            location_id=station.location_id,
            status="AVAILABLE" if ocpp_status == "Available" else "OUTOFORDER",
            ocpp_status=ocpp_status,
            error_code=None,
            at=at,
        )
        await writer.flush()
    finally:
        await engine.dispose()


async def test_metrics_from_conversations_tickets_replies_and_ratings(
    client_factory: ClientFactory, database_url: str
) -> None:
    client = await client_factory()
    now = utc_now()
    ana = await staff(database_url, "ana@example.com")
    ben = await staff(database_url, "ben@example.com")
    lead = await staff(database_url, "lead@example.com", role="admin")

    # Three conversations in which the driver wrote, one in which they did not.
    driver = await signed_in(client, "dana@example.com")
    dana = await user_id(database_url, "dana@example.com")
    await charger_with_session(database_url, "MX-1", dana)
    await boot(database_url, "MX-1", "AC22", "1.2.0")
    path = "/v1/chat/conversations/{}/messages"
    safety = (await client.post("/v1/chat/conversations", json={}, headers=driver)).json()
    escalated = await client.post(
        path.format(safety["id"]), json={"text": "sparks and smoke from the plug!"}, headers=driver
    )
    assert escalated.json()["ticketId"]
    stuck = (await client.post("/v1/chat/conversations", json={}, headers=driver)).json()
    proposal = await client.post(path.format(stuck["id"]), json={"text": "my cable is stuck"}, headers=driver)
    assert proposal.json()["proposedAction"]["chargerId"] == "MX-1"
    other_driver = await signed_in(client, "eve@example.com")  # not charging anywhere: no charger in context
    question = (await client.post("/v1/chat/conversations", json={}, headers=other_driver)).json()
    await client.post(path.format(question["id"]), json={"text": "how much does charging cost?"}, headers=other_driver)
    await client.post("/v1/chat/conversations", json={}, headers=driver)  # only the greeting
    async with database_session(database_url) as session:
        ended = await session.scalar(
            select(ChatConversation.updated_at).where(ChatConversation.id == uuid.UUID(stuck["id"]))
        )
    assert ended is not None
    # After the stuck-cable conversation ended, its charger reports Available: the problem is gone.
    await report_status(database_url, "MX-1", "Available", ended + timedelta(seconds=5))
    # Another driver's charger reports a fault after their conversation: not fixed.
    finn = await signed_in(client, "finn@example.com")
    await charger_with_session(database_url, "MX-3", await user_id(database_url, "finn@example.com"))
    broken = (await client.post("/v1/chat/conversations", json={}, headers=finn)).json()
    await client.post(path.format(broken["id"]), json={"text": "my cable is stuck"}, headers=finn)
    await report_status(database_url, "MX-3", "Faulted", utc_now() + timedelta(seconds=5))

    # Tickets agents open and work, at times in the past.
    await boot(database_url, "MX-2", "DC50", "3.1")
    async with database_session(database_url) as session:
        billing = await open_ticket(
            session,
            policy=POLICY,
            actor=ana,
            source="agent",
            priority="high",
            category="billing",
            summary="Charged twice",
            now=now - timedelta(minutes=120),
            user_id=dana,
        )
        add_message(session, billing, visibility="public", actor=ana, text="Refunded", now=now - timedelta(minutes=100))
        change_status(session, billing, "solved", ana, now=now - timedelta(minutes=60))
        fault = await open_ticket(
            session,
            policy=POLICY,
            actor=SYSTEM,
            source="network",
            priority="normal",
            category="charger_fault",
            summary="MX-2 faulted",
            now=now - timedelta(minutes=310),
            charger_id="MX-2",
            user_id=dana,
        )
        add_message(session, fault, visibility="internal", actor=ben, text="Looking", now=now - timedelta(minutes=200))
        add_message(session, fault, visibility="public", actor=ben, text="Reset it", now=now - timedelta(minutes=60))
        change_status(session, fault, "solved", ben, now=now - timedelta(minutes=30))
        await open_ticket(
            session,
            policy=POLICY,
            actor=lead,
            source="agent",
            priority="low",
            category="other",
            summary="Question",
            now=now - timedelta(minutes=10),
        )
        await open_ticket(
            session,
            policy=POLICY,
            actor=lead,
            source="agent",
            priority="normal",
            category="billing",
            summary="An old one",
            now=now - timedelta(days=40),
        )
        await session.commit()
        worked = ((billing.id, ana, 5), (fault.id, ben, 2))

    headers = await _staff_headers(client, "ana@example.com")
    # Who worked each ticket, through the desk's routes; the driver rates them in the app after they were solved.
    for ticket_id, agent, score in worked:
        assigned = await client.post(
            f"/v1/support/tickets/{ticket_id}/assign", json={"assigneeId": str(agent.id)}, headers=headers
        )
        assert assigned.status_code == 200, assigned.text
        rated = await client.post(f"/v1/me/tickets/{ticket_id}/rating", json={"score": score}, headers=driver)
        assert rated.status_code in (200, 201), rated.text
    answer = await client.get("/v1/support/metrics", headers=headers)
    assert answer.status_code == 200, answer.text
    metrics = answer.json()

    assert metrics["tickets"] == 4  # the 40-day-old ticket is outside the default 30 days
    # first responses after 20 and 250 minutes; solved after 60 and 280 minutes
    assert metrics["firstResponse"] == {"tickets": 2, "medianMinutes": 135.0, "p90Minutes": 227.0}
    assert metrics["resolution"] == {"tickets": 2, "medianMinutes": 170.0, "p90Minutes": 258.0}
    # the charger fault was first answered after 250 minutes against its 240
    assert metrics["slaBreaches"] == {"firstResponse": 1, "resolution": 0}
    assert metrics["backlog"] == {
        "total": 3,
        "byStatus": {"new": 3},
        "byPriority": {"urgent": 1, "low": 1, "normal": 1},
    }
    assert {c["key"]: c["tickets"] for c in metrics["byCategory"]} == {
        "safety_hazard": 1,
        "billing": 1,
        "charger_fault": 1,
        "other": 1,
    }
    assert {c["key"]: c["tickets"] for c in metrics["byChargerModel"]} == {"AC22": 1, "DC50": 1}
    assert sorted((f["model"], f["firmwareVersion"], f["tickets"]) for f in metrics["byFirmware"]) == [
        ("AC22", "1.2.0", 1),
        ("DC50", "3.1", 1),
    ]
    assistant = metrics["assistant"]
    assert (assistant["conversations"], assistant["contained"], assistant["containedShare"]) == (4, 3, 0.75)
    assert (assistant["withCharger"], assistant["confirmedFixed"], assistant["confirmedFixedShare"]) == (2, 1, 0.5)
    assert assistant["withActions"] == 0  # no remote action ran (this app has no OCPP bridge)
    assert metrics["satisfaction"] == {"ratings": 2, "satisfiedShare": 0.5, "mean": 3.5}
    assert [(a["name"], a["ratings"], a["satisfiedShare"], a["mean"]) for a in metrics["satisfactionByAgent"]] == [
        ("Ana", 1, 1.0, 5.0),
        ("Ben", 1, 0.0, 2.0),
    ]
    assert {c["category"]: c["mean"] for c in metrics["satisfactionByCategory"]} == {
        "billing": 5.0,
        "charger_fault": 2.0,
    }

    # A narrower window: only what was opened in the last three hours.
    narrow = await client.get(
        "/v1/support/metrics", headers=headers, params={"from": (now - timedelta(hours=3)).isoformat()}
    )
    assert narrow.json()["tickets"] == 3
    wrong = await client.get(
        "/v1/support/metrics", headers=headers, params={"from": now.isoformat(), "to": now.isoformat()}
    )
    assert wrong.status_code == 422
    assert wrong.headers["content-type"].startswith("application/problem+json")


async def _staff_headers(client: Client, email: str) -> dict[str, str]:
    tokens = (await client.post("/v1/auth/login", json={"email": email, "password": STAFF_PASSWORD})).json()
    return {"Authorization": f"Bearer {tokens['accessToken']}"}
