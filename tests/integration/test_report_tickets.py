"""Drivers' station problem reports open support tickets, one per charger while it is active: the reporter is told
the ticket number, later reports join the ticket as internal notes (raising its priority when more severe), and a
report describing danger, in any of the assistant's languages, is urgent. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from api.db.engine import create_engine, create_session_factory
from api.db.models import Evse, StationReport, SupportTicket, SupportTicketEvent, SupportTicketMessage
from api.domain.chargers.provisioning import add_charger
from api.domain.support.audit import SYSTEM
from api.domain.support.report_tickets import ReportTickets
from api.domain.support.services import ticket_id_of
from api.domain.support.sla import build_policy
from api.domain.support.workflow import change_status
from tests.integration.conftest import ClientFactory
from tests.support import database_session

Client = AsyncTestClient[Litestar]
PASSWORD = "correct horse battery"


class Charger:
    def __init__(self, ocpp_id: str, location_id: uuid.UUID, evse_uid: str) -> None:
        self.ocpp_id = ocpp_id
        self.location_id = location_id
        self.evse_uid = evse_uid

    @property
    def reports(self) -> str:
        return f"/v1/stations/{self.location_id}/reports"


async def chargers(database_url: str, count: int) -> list[Charger]:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            made = []
            for n in range(1, count + 1):
                station, _ = await add_charger(
                    session,
                    ocpp_id=f"REP-{n:05d}",
                    password="a charger secret 123",
                    country_code="NL",
                    party_id="VWY",
                    coordinates=(52.37 + n / 1000, 4.9),
                    name=f"Report test {n}",
                )
                made.append(station)
            await session.commit()
            found = []
            for station in made:
                uid = (
                    await session.execute(select(Evse.uid).where(Evse.charging_station_id == station.id))
                ).scalar_one()
                found.append(Charger(station.ocpp_id, station.location_id, uid))
            return found
    finally:
        await engine.dispose()


async def driver(client: Client, email: str, name: str = "Dana") -> dict[str, str]:
    await client.post("/v1/auth/register", json={"email": email, "password": PASSWORD, "name": name})
    tokens = (await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})).json()
    return {"Authorization": f"Bearer {tokens['accessToken']}"}


async def ticket_of(database_url: str, number: str) -> SupportTicket:
    ticket_id = ticket_id_of(number)
    async with database_session(database_url) as session:
        ticket = await session.get(SupportTicket, ticket_id)
        assert ticket is not None
        return ticket


async def notes(database_url: str, ticket_id: int) -> list[SupportTicketMessage]:
    async with database_session(database_url) as session:
        query = select(SupportTicketMessage).where(SupportTicketMessage.ticket_id == ticket_id)
        return list((await session.execute(query.order_by(SupportTicketMessage.id))).scalars())


async def actions(database_url: str, ticket_id: int) -> list[str]:
    async with database_session(database_url) as session:
        query = select(SupportTicketEvent.action).where(SupportTicketEvent.ticket_id == ticket_id)
        return list((await session.execute(query.order_by(SupportTicketEvent.id))).scalars())


async def count_tickets(database_url: str) -> int:
    async with database_session(database_url) as session:
        return len((await session.execute(select(SupportTicket.id))).all())


async def test_reports_about_one_charger_share_one_ticket(client_factory: ClientFactory, database_url: str) -> None:
    first, second = await chargers(database_url, 2)
    client = await client_factory()
    dana = await driver(client, "dana@example.com", "Dana")
    eli = await driver(client, "eli@example.com", "Eli")

    answer = await client.post(
        first.reports,
        headers=dana,
        json={"category": "equipment_problem", "text": "The screen stays dark", "evseUid": first.evse_uid},
    )
    assert answer.status_code == 201, answer.text
    number = answer.json()["ticketNumber"]
    assert number.startswith("T-")
    ticket = await ticket_of(database_url, number)
    assert (ticket.source, ticket.category, ticket.priority, ticket.status) == (
        "station_report",
        "station_report:equipment_problem",
        "high",
        "new",
    )
    assert ticket.charger_id == first.ocpp_id
    assert ticket.location_id == first.location_id
    assert ticket.evse_id is not None
    assert "The screen stays dark" in ticket.summary
    assert first.ocpp_id in ticket.summary
    [note] = await notes(database_url, ticket.id)
    assert note.visibility == "internal"
    assert "dana@example.com" in note.text
    assert "The screen stays dark" in note.text

    # another driver, another category, the same charger: the same ticket, one more note, nothing lowered
    joined = await client.post(
        first.reports,
        headers=eli,
        json={"category": "wrong_price", "text": "Shows 2 EUR/kWh", "evseUid": first.evse_uid},
    )
    assert joined.json()["ticketNumber"] == number
    ticket = await ticket_of(database_url, number)
    assert ticket.priority == "high"
    texts = [n.text for n in await notes(database_url, ticket.id)]
    assert len(texts) == 2
    assert "eli@example.com" in texts[1]
    assert "Shows 2 EUR/kWh" in texts[1]
    assert "grouped" in await actions(database_url, ticket.id)
    assert "station_report:wrong_price" in ticket.tags

    # a low-priority report about the other charger opens its own ticket; a more severe one raises it
    other = await client.post(second.reports, headers=dana, json={"category": "other", "evseUid": second.evse_uid})
    other_number = other.json()["ticketNumber"]
    assert other_number != number
    assert (await ticket_of(database_url, other_number)).priority == "low"
    worse = await client.post(
        second.reports, headers=eli, json={"category": "not_operational", "evseUid": second.evse_uid}
    )
    assert worse.json()["ticketNumber"] == other_number
    raised = await ticket_of(database_url, other_number)
    assert raised.priority == "high"
    assert "priority" in await actions(database_url, raised.id)

    # a report naming no EVSE is grouped per location
    station_wide = await client.post(first.reports, headers=dana, json={"category": "not_accessible"})
    assert station_wide.json()["ticketNumber"] not in (number, other_number)
    assert (await ticket_of(database_url, station_wide.json()["ticketNumber"])).charger_id is None

    # once the charger's ticket is solved, a new report opens a new one
    async with database_session(database_url) as session:
        solved = await session.get(SupportTicket, ticket_id_of(number))
        assert solved is not None
        change_status(session, solved, "solved", SYSTEM, now=datetime.now(UTC))
        await session.commit()
    fresh = await client.post(
        first.reports, headers=dana, json={"category": "not_operational", "evseUid": first.evse_uid}
    )
    assert fresh.json()["ticketNumber"] not in (number, other_number, station_wide.json()["ticketNumber"])


async def test_a_report_describing_danger_is_urgent(client_factory: ClientFactory, database_url: str) -> None:
    first, second = await chargers(database_url, 2)
    client = await client_factory()
    dana = await driver(client, "dana@example.com")

    smoke = await client.post(
        first.reports,
        headers=dana,
        json={"category": "other", "text": "Es kommt Rauch aus der Ladesäule", "evseUid": first.evse_uid},
    )
    ticket = await ticket_of(database_url, smoke.json()["ticketNumber"])
    assert (ticket.priority, ticket.category) == ("urgent", "safety_hazard")
    assert "safety" in ticket.tags

    # a calm report first, then danger on the same charger: the ticket becomes an urgent safety ticket
    calm = await client.post(
        second.reports,
        headers=dana,
        json={"category": "wrong_price", "text": "Price is wrong", "evseUid": second.evse_uid},
    )
    number = calm.json()["ticketNumber"]
    assert (await ticket_of(database_url, number)).priority == "normal"
    sparks = await client.post(
        second.reports,
        headers=dana,
        json={"category": "equipment_problem", "text": "le câble fait des étincelles", "evseUid": second.evse_uid},
    )
    assert sparks.json()["ticketNumber"] == number
    ticket = await ticket_of(database_url, number)
    assert (ticket.priority, ticket.category) == ("urgent", "safety_hazard")
    assert "The report describes danger." in (await notes(database_url, ticket.id))[-1].text


async def test_reports_at_once_through_many_processes_open_one_ticket(database_url: str) -> None:
    """Each report files on its own engine (as another process would), all at the same moment."""
    [charger] = await chargers(database_url, 1)
    engines = [create_engine(database_url) for _ in range(8)]
    try:
        async with create_session_factory(engines[0])() as session:
            evse_id = (await session.execute(select(Evse.id).where(Evse.uid == charger.evse_uid))).scalar_one()
        go, all_ready = asyncio.Event(), asyncio.Event()
        ready: list[AsyncEngine] = []

        async def report(engine: AsyncEngine) -> str:
            async with create_session_factory(engine)() as session:
                await session.execute(select(Evse.id).where(Evse.id == evse_id))  # connected before the start
                ready.append(engine)
                if len(ready) == len(engines):
                    all_ready.set()
                await go.wait()
                row = StationReport(location_id=charger.location_id, evse_id=evse_id, category="not_operational")
                session.add(row)
                return await ReportTickets(build_policy("", "", "UTC")).file(session, row)

        filing = [asyncio.create_task(report(engine)) for engine in engines]
        await all_ready.wait()  # every filing at the start line, connection open
        go.set()
        numbers = await asyncio.gather(*filing)
    finally:
        for engine in engines:
            await engine.dispose()
    assert len(set(numbers)) == 1
    assert await count_tickets(database_url) == 1
    assert len(await notes(database_url, ticket_id_of(numbers[0]) or 0)) == len(engines)
