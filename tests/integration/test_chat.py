"""The assistant over the API on both databases: conversations, languages, tickets, and what remote actions
may and may not do (confirmation, other drivers' sessions, rate limits, the audit trail)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.engine import create_engine, create_session_factory
from api.db.models import ChargingStation, ChargingTransaction, ChatActionAudit, Evse, SupportTicket, User
from api.db.types import utc_now
from api.domain.chargers.provisioning import add_charger
from api.domain.chat.context import MAX_ACTIONS_PER_CHARGER, DatabaseChatContext
from api.domain.stations.catalog import StationCatalog
from api.domain.stations.prices import TariffBook, TariffPricing
from api.domain.stations.search import Availability
from api.domain.stations.services import StationService
from api.domain.support.services import SupportService
from chatbot.ports import ActionRequest

Client = AsyncTestClient[Litestar]
PASSWORD = "correct horse battery"


async def signed_in(client: Client, email: str, locale: str = "en") -> dict[str, str]:
    body = {"email": email, "password": PASSWORD, "name": "Dana", "locale": locale, "preferredCurrency": "EUR"}
    assert (await client.post("/v1/auth/register", json=body)).status_code == 201
    tokens = (await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})).json()
    return {"Authorization": f"Bearer {tokens['accessToken']}"}


async def user_id(database_url: str, email: str) -> uuid.UUID:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            found: uuid.UUID = (await session.execute(select(User.id).where(User.email == email))).scalar_one()
            return found
    finally:
        await engine.dispose()


async def charger_with_session(database_url: str, ocpp_id: str, driver: uuid.UUID | None, **evse: Any) -> str:
    """A provisioned charger whose connector 1 is in the given state, with an active session of `driver`."""
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            station, _ = await add_charger(
                session,
                ocpp_id=ocpp_id,
                password="a charger secret 123",
                country_code="NL",
                party_id="VWY",
                max_power_kw=Decimal(50),
                standard="IEC_62196_T2_COMBO",
            )
            await session.execute(
                update(ChargingStation).where(ChargingStation.id == station.id).values(connected=True)
            )
            values = {"ocpp_status": "Charging", **evse}
            await session.execute(update(Evse).where(Evse.charging_station_id == station.id).values(**values))
            transaction_id = uuid.uuid4()
            if driver is not None:
                session.add(
                    ChargingTransaction(
                        id=transaction_id,
                        charging_station_id=station.id,
                        connector_id=1,
                        ocpp_transaction_id="42",
                        user_id=driver,
                        started_at=utc_now() - timedelta(minutes=20),
                        energy_wh=8_000.0,
                        power_w=12_000.0,
                        soc_percent=55.0,
                        status="active",
                    )
                )
            await session.commit()
            return str(transaction_id)
    finally:
        await engine.dispose()


async def tickets(database_url: str) -> list[SupportTicket]:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            return list((await session.execute(select(SupportTicket).order_by(SupportTicket.id))).scalars())
    finally:
        await engine.dispose()


async def test_a_conversation_in_the_drivers_language(client: Client, database_url: str) -> None:
    headers = await signed_in(client, "dana@example.com", locale="de")
    started = await client.post("/v1/chat/conversations", json={}, headers=headers)
    assert started.status_code == 201, started.text
    conversation = started.json()
    assert conversation["language"] == "de"
    assert conversation["messages"][0]["text"].startswith("Hallo!")

    path = f"/v1/chat/conversations/{conversation['id']}/messages"
    reply = (await client.post(path, json={"text": "wo ist die nächste Ladesäule?"}, headers=headers)).json()
    assert reply["intent"] == "find_charger"
    assert 0 <= reply["confidence"] <= 1
    assert set(reply) >= {
        "text",
        "intent",
        "confidence",
        "quickReplies",
        "proposedAction",
        "performedActions",
        "ticketId",
    }
    french = (await client.post(path, json={"text": "combien coûte la recharge ici ?"}, headers=headers)).json()
    assert french["intent"] == "pricing_info"
    assert french["language"] == "fr"

    shown = (await client.get(f"/v1/chat/conversations/{conversation['id']}", headers=headers)).json()
    assert [m["role"] for m in shown["messages"]] == ["assistant", "driver", "assistant", "driver", "assistant"]

    other = await signed_in(client, "eve@example.com")
    assert (await client.get(f"/v1/chat/conversations/{conversation['id']}", headers=other)).status_code == 404
    assert (await client.post(path, json={"text": "hi"}, headers=other)).status_code == 404
    assert (await client.post(path, json={}, headers=headers)).status_code == 422
    both = {"text": "yes", "confirmActionId": "abc"}
    assert (await client.post(path, json=both, headers=headers)).status_code == 422
    anonymous = await client.post("/v1/chat/conversations", json={})
    assert anonymous.status_code == 401

    spanish = await client.post(
        "/v1/chat/conversations", json={}, headers={**other, "Accept-Language": "es-ES,es;q=0.9"}
    )
    assert spanish.json()["language"] == "en"  # the profile's locale comes first
    asked = await client.post("/v1/chat/conversations", json={"language": "nl"}, headers=other)
    assert asked.json()["messages"][0]["text"].startswith("Hallo!")


async def test_safety_opens_an_urgent_ticket_with_diagnostics(client: Client, database_url: str) -> None:
    headers = await signed_in(client, "dana@example.com")
    driver = await user_id(database_url, "dana@example.com")
    await charger_with_session(database_url, "CHAT-SAFE-1", driver)
    conversation = (await client.post("/v1/chat/conversations", json={}, headers=headers)).json()
    path = f"/v1/chat/conversations/{conversation['id']}/messages"
    reply = (await client.post(path, json={"text": "sparks and smoke from the plug!"}, headers=headers)).json()
    assert reply["intent"] == "safety_hazard"
    assert reply["ticketId"].startswith("T-")
    assert reply["expectedResponseMinutes"] == 15
    assert reply["proposedAction"]["kind"] == "remote-stop"
    [ticket] = await tickets(database_url)
    assert ticket.priority == "urgent"
    assert ticket.intent == "safety_hazard"
    assert ticket.charger_id == "CHAT-SAFE-1"
    assert ticket.diagnostics["session"]["charger_id"] == "CHAT-SAFE-1"
    assert ticket.diagnostics["payment"] == "unknown"
    assert ticket.transcript[0] == {"role": "driver", "text": "sparks and smoke from the plug!"}
    shown = (await client.get(f"/v1/chat/conversations/{conversation['id']}", headers=headers)).json()
    assert shown["ticketId"] == reply["ticketId"]


async def test_actions_wait_for_confirmation_and_are_audited(client: Client, database_url: str) -> None:
    headers = await signed_in(client, "dana@example.com")
    driver = await user_id(database_url, "dana@example.com")
    await charger_with_session(database_url, "CHAT-LOCK-1", driver)
    conversation = (await client.post("/v1/chat/conversations", json={}, headers=headers)).json()
    path = f"/v1/chat/conversations/{conversation['id']}/messages"
    reply = (await client.post(path, json={"text": "my cable is stuck"}, headers=headers)).json()
    proposal = reply["proposedAction"]
    assert proposal["kind"] == "stop-and-unlock"
    assert proposal["chargerId"] == "CHAT-LOCK-1"

    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            assert (await session.execute(select(ChatActionAudit))).first() is None
    finally:
        await engine.dispose()

    done = (await client.post(path, json={"confirmActionId": proposal["id"]}, headers=headers)).json()
    # This app runs without the OCPP bridge: the action is shown as not done and a person takes over.
    assert done["performedActions"][0]["status"] == "bridge-unavailable"
    assert done["ticketId"] is not None
    [ticket] = await tickets(database_url)
    assert ticket.priority == "high"
    assert ticket.actions_tried[0]["kind"] == "remote-stop"
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            audit = (await session.execute(select(ChatActionAudit))).scalars().all()
    finally:
        await engine.dispose()
    assert [(a.action, a.sent, a.status) for a in audit] == [("remote-stop", False, "bridge-unavailable")]
    again = await client.post(path, json={"confirmActionId": proposal["id"]}, headers=headers)
    assert again.json()["performedActions"] == []  # a proposal runs once


async def ended_session(
    factory: async_sessionmaker[AsyncSession], ocpp_id: str, driver: uuid.UUID, *, ended_ago: timedelta
) -> None:
    """A session of `driver` at connector 1 of the charger that ended `ended_ago`."""
    async with factory() as session:
        station_id = (
            await session.execute(select(ChargingStation.id).where(ChargingStation.ocpp_id == ocpp_id))
        ).scalar_one()
        ended = utc_now() - ended_ago
        session.add(
            ChargingTransaction(
                charging_station_id=station_id,
                connector_id=1,
                ocpp_transaction_id=uuid.uuid4().hex[:12],
                user_id=driver,
                started_at=ended - timedelta(minutes=30),
                ended_at=ended,
                energy_wh=5_000.0,
                status="ended",
            )
        )
        await session.commit()


async def test_actions_only_at_the_drivers_own_recent_session(database_url: str) -> None:
    """No session of the driver's there: a person. A session that ended minutes ago (a cable stuck after
    charging): the action is allowed; an hour ago, or at another charger: a person again."""
    engine = create_engine(database_url)
    factory = create_session_factory(engine)
    try:
        async with factory() as session:
            driver = User(email=f"cable-{uuid.uuid4().hex[:8]}@example.com")
            session.add(driver)
            await session.commit()
            driver_id = driver.id
        await charger_with_session(database_url, "CHAT-MINE-1", None, ocpp_status="Finishing")
        await charger_with_session(database_url, "CHAT-NEXT-1", None, ocpp_status="Available")
        ctx = DatabaseChatContext(
            factory,
            user_id=driver_id,
            conversation_id=None,
            session_ref=None,
            bridge=None,
            stations=StationService(StationCatalog(), Availability(timedelta(minutes=10)), TariffPricing(TariffBook())),
            support=SupportService(),
        )
        unlock_mine = ActionRequest(kind="unlock", charger_id="CHAT-MINE-1", connector_id=1)
        reset_mine = ActionRequest(kind="reset", charger_id="CHAT-MINE-1")
        assert (await ctx.run_action(unlock_mine)).status == "needs-a-person"
        await ended_session(factory, "CHAT-MINE-1", driver_id, ended_ago=timedelta(minutes=40))
        assert (await ctx.run_action(unlock_mine)).status == "needs-a-person"
        await ended_session(factory, "CHAT-MINE-1", driver_id, ended_ago=timedelta(minutes=3))
        # allowed: it would be sent, were a bridge running in this test
        assert (await ctx.run_action(unlock_mine)).status == "bridge-unavailable"
        assert (await ctx.run_action(reset_mine)).status == "bridge-unavailable"
        unlock_other_connector = ActionRequest(kind="unlock", charger_id="CHAT-MINE-1", connector_id=2)
        assert (await ctx.run_action(unlock_other_connector)).status == "needs-a-person"
        for kind in ("unlock", "reset"):
            elsewhere = ActionRequest(kind=kind, charger_id="CHAT-NEXT-1", connector_id=1)
            assert (await ctx.run_action(elsewhere)).status == "needs-a-person"
        refresh = ActionRequest(kind="trigger-status", charger_id="CHAT-NEXT-1", connector_id=1)
        assert (await ctx.run_action(refresh)).status == "bridge-unavailable"  # a status refresh changes nothing
    finally:
        await engine.dispose()


async def test_never_another_drivers_session_and_never_too_often(database_url: str) -> None:
    engine = create_engine(database_url)
    factory = create_session_factory(engine)
    try:
        async with factory() as session:
            owner, intruder = User(email="owner@example.com"), User(email="intruder@example.com")
            session.add_all([owner, intruder])
            await session.commit()
            owner_id, intruder_id = owner.id, intruder.id
        session_id = await charger_with_session(database_url, "CHAT-OWN-1", owner_id)
        stations = StationService(StationCatalog(), Availability(timedelta(minutes=10)), TariffPricing(TariffBook()))

        def context(user: uuid.UUID) -> DatabaseChatContext:
            return DatabaseChatContext(
                factory,
                user_id=user,
                conversation_id=None,
                session_ref=None,
                bridge=None,
                stations=stations,
                support=SupportService(),
            )

        intruder_ctx = context(intruder_id)
        stop = ActionRequest(kind="remote-stop", charger_id="CHAT-OWN-1", connector_id=1, session_id=session_id)
        unlock = ActionRequest(kind="unlock", charger_id="CHAT-OWN-1", connector_id=1)
        reset = ActionRequest(kind="reset", charger_id="CHAT-OWN-1")
        for request in (stop, unlock, reset):  # no session of the intruder's there: a person has to look
            assert (await intruder_ctx.run_action(request)).status == "needs-a-person"
        assert await intruder_ctx.current_session() is None
        # the intruder charged there an hour ago: too long ago to count
        await ended_session(factory, "CHAT-OWN-1", intruder_id, ended_ago=timedelta(hours=1))
        assert (await intruder_ctx.run_action(unlock)).status == "needs-a-person"
        # and just now, at this connector, before the owner plugged in: still not the owner's cable or charger
        await ended_session(factory, "CHAT-OWN-1", intruder_id, ended_ago=timedelta(minutes=5))
        assert (await intruder_ctx.run_action(stop)).status == "not-your-session"
        assert (await intruder_ctx.run_action(unlock)).status == "another-drivers-session"
        assert (await intruder_ctx.run_action(reset)).status == "another-driver-charging"
        status = await context(owner_id).charger_status("CHAT-OWN-1", 1)
        assert status is not None
        assert status.others_charging == 0
        assert status.max_power_kw == 50.0
        intruder_view = await intruder_ctx.charger_status("CHAT-OWN-1", 1)
        assert intruder_view is not None
        assert intruder_view.others_charging == 1

        async with factory() as session:
            session.add_all(
                ChatActionAudit(
                    user_id=owner_id, charger_id="CHAT-OWN-1", action="unlock", sent=True, ok=True, status="Unlocked"
                )
                for _ in range(MAX_ACTIONS_PER_CHARGER)
            )
            await session.commit()
        limited = await context(owner_id).run_action(unlock)
        assert limited.status == "rate-limited"
        assert not limited.ok
    finally:
        await engine.dispose()
