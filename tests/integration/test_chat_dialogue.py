"""The assistant as drivers meet it over the API and in the terminal: chargers named as they appear on site,
more after a hand-over added to the open ticket, and remote actions from `voltway chat` reaching the charger
through the server that holds it (PostgreSQL), or a plain word that they need `voltway serve` (SQLite)."""

from __future__ import annotations

import asyncio
import sys
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from api.db.engine import create_engine, create_session_factory
from api.db.models import ChargingStation, ChargingTransaction, ChatActionAudit, Evse, SupportTicket, User
from api.db.types import utc_now
from api.domain.chargers.provisioning import add_charger
from api.domain.chat.commands import interactive
from api.domain.chat.context import DatabaseChatContext
from api.domain.stations.catalog import StationCatalog
from api.domain.stations.prices import TariffBook, TariffPricing
from api.domain.stations.search import Availability
from api.domain.stations.services import StationService
from api.domain.support.services import SupportService
from chatbot.ports import TranscriptLine
from tests.integration.test_chat import signed_in, tickets, user_id
from tests.integration.test_chat_remote_actions import confirm, converse
from tests.integration.test_sessions import serve, session_status
from tests.support import cli_environment, make_settings, wait_for

Client = AsyncTestClient[Litestar]
STATION = "Marktplein Zuid"


async def charging_at(database_url: str, ocpp_id: str, driver: uuid.UUID) -> str:
    """A charger at a named location with a CCS connector; the driver charges at its connector 1. Its EVSE id."""
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
                name=STATION,
            )
            await session.execute(
                update(ChargingStation).where(ChargingStation.id == station.id).values(connected=True)
            )
            await session.execute(
                update(Evse).where(Evse.charging_station_id == station.id).values(ocpp_status="Charging")
            )
            session.add(
                ChargingTransaction(
                    charging_station_id=station.id,
                    connector_id=1,
                    ocpp_transaction_id=uuid.uuid4().hex[:12],
                    user_id=driver,
                    started_at=utc_now() - timedelta(minutes=20),
                    energy_wh=8_000.0,
                    status="active",
                )
            )
            await session.commit()
            evse_id = (
                await session.execute(select(Evse.emi3_evse_id).where(Evse.charging_station_id == station.id))
            ).scalar_one()
            assert evse_id is not None
            return evse_id
    finally:
        await engine.dispose()


async def test_chargers_by_their_names_and_more_goes_to_the_open_ticket(client: Client, database_url: str) -> None:
    headers = await signed_in(client, "dana@example.com")
    driver = await user_id(database_url, "dana@example.com")
    evse_id = await charging_at(database_url, "CHAT-DLG-1", driver)
    conversation = (await client.post("/v1/chat/conversations", json={}, headers=headers)).json()
    path = f"/v1/chat/conversations/{conversation['id']}/messages"

    offer = (await client.post(path, json={"text": "my cable is stuck"}, headers=headers)).json()
    assert f"{STATION}, {evse_id}" in offer["text"]
    assert "connector 1, CCS" in offer["text"]
    assert "CHAT-DLG-1" not in offer["text"]
    assert offer["proposedAction"]["chargerLabel"] == f"{STATION}, {evse_id}"
    # this app runs without the OCPP bridge: the unlock cannot be sent, and a person takes over
    failed = (await client.post(path, json={"confirmActionId": offer["proposedAction"]["id"]}, headers=headers)).json()
    ticket_id = failed["ticketId"]
    assert ticket_id is not None
    assert "CHAT-DLG-1" not in failed["text"]

    more = (await client.post(path, json={"text": "still not working"}, headers=headers)).json()
    assert more["ticketId"] == ticket_id
    assert f"added this to your ticket {ticket_id}" in more["text"]
    assert more["proposedAction"] is None
    [ticket] = await tickets(database_url)
    assert ticket.transcript[-1] == {"role": "driver", "text": "still not working"}
    assert ticket.updated_at >= ticket.created_at
    shown = (await client.get(f"/v1/chat/conversations/{conversation['id']}", headers=headers)).json()
    assert shown["ticketId"] == ticket_id

    # a closed ticket takes no more: the conversation goes on without it
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            await session.execute(update(SupportTicket).values(status="closed"))
            await session.commit()
    finally:
        await engine.dispose()
    after = (await client.post(path, json={"text": "still not working"}, headers=headers)).json()
    assert "added this to your ticket" not in after["text"]
    [closed] = await tickets(database_url)
    assert closed.transcript == ticket.transcript


async def test_the_drivers_session_is_described_as_seen_on_site(database_url: str) -> None:
    engine = create_engine(database_url)
    factory = create_session_factory(engine)
    try:
        async with factory() as session:
            driver = User(email="onsite@example.com")
            session.add(driver)
            await session.commit()
            driver_id = driver.id
        evse_id = await charging_at(database_url, "CHAT-SITE-1", driver_id)
        context = DatabaseChatContext(
            factory,
            user_id=driver_id,
            conversation_id=None,
            session_ref=None,
            bridge=None,
            stations=StationService(StationCatalog(), Availability(timedelta(minutes=10)), TariffPricing(TariffBook())),
            support=SupportService(),
        )
        current = await context.current_session()
        assert current is not None
        assert (current.station_name, current.evse_id, current.connector_type) == (STATION, evse_id, "CCS")
        status = await context.charger_status("CHAT-SITE-1", 1)
        assert status is not None
        assert (status.station_name, status.evse_id, status.connector_type) == (STATION, evse_id, "CCS")
        assert await context.add_to_ticket("T-000999", TranscriptLine(role="driver", text="hello")) is None
        assert await context.add_to_ticket("not a ticket", TranscriptLine(role="driver", text="hello")) is None
    finally:
        await engine.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_terminal_chat_on_sqlite_says_actions_need_the_server(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            driver = User(email="terminal@example.com")
            session.add(driver)
            await session.commit()
            driver_id = driver.id
    finally:
        await engine.dispose()
    await charging_at(database_url, "CHAT-CLI-1", driver_id)
    typed = iter(["my cable is stuck", "yes"])
    shown: list[str] = []

    def read(_prompt: str) -> str:
        try:
            return next(typed)
        except StopIteration:
            raise EOFError from None

    await interactive(
        make_settings(database_url=database_url),
        driver_email="terminal@example.com",
        session_ref=None,
        read=read,
        write=shown.append,
    )
    output = "\n".join(shown)
    assert "remote actions need `voltway serve` running, so I sent nothing" in output
    assert "ticket" not in output.lower()
    assert await tickets(database_url) == []
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            audit = (await session.execute(select(ChatActionAudit))).scalars().all()
    finally:
        await engine.dispose()
    assert [(a.action, a.sent, a.status) for a in audit] == [("remote-stop", False, "needs-server")]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_terminal_chat_unlocks_through_the_server_holding_the_charger(database_url: str, tmp_path: Path) -> None:
    async with serve(database_url, chargers=1) as net, httpx.AsyncClient(timeout=15) as client:
        email = f"terminal-{uuid.uuid4().hex[:8]}@example.com"
        headers = await net.driver(client, email)
        started = await client.post(
            f"{net.base}/v1/sessions", json={"evseUid": net.evse_uids[0]}, headers={"Idempotency-Key": "cli", **headers}
        )
        assert started.status_code == 202, started.text
        session_id = started.json()["id"]

        async def charging() -> bool:
            return await session_status(client, net.base, headers, session_id) == "charging"

        await wait_for(charging, "charging")
        simulation = net.simulators[0]
        assert simulation.report.unlocks == 0

        # `voltway chat` in its own process: its unlock travels over PostgreSQL to the server holding SES-00001
        env = cli_environment(tmp_path, VOLTWAY_DATABASE_URL=database_url)
        chat = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "api",
            "chat",
            "--driver",
            email,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(chat.communicate(b"my cable is stuck\nyes\nquit\n"), 120)
        output = out.decode()
        assert chat.returncode == 0, err.decode()
        assert "[remote-stop: Accepted]" in output
        assert "[unlock: Unlocked]" in output
        assert "Session test 1" in output
        assert "SES-00001" not in output
        assert "ticket" not in output.lower()
        assert simulation.report.unlocks == 1

        async def ended() -> bool:
            return await session_status(client, net.base, headers, session_id) == "completed"

        await wait_for(ended, "the session stopped by the terminal chat")
        # and the app's own conversation still works alongside it
        asked = await converse(client, net, headers, "my cable is stuck")
        assert asked["proposedAction"]["kind"] == "unlock"
        done = await confirm(client, headers, asked)
        assert [a["status"] for a in done["performedActions"]] == ["Unlocked"]
