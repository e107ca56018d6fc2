"""Support alerts over the real paths on both databases: an urgent ticket the assistant opens reaches the support
webhook once (signed) and the agents on duty by mail; a ticket whose SLA is about to run out is warned about once,
to every agent and admin when nobody is on duty; scanning again sends nothing more."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from email import message_from_bytes
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from api.db.models import MailMessage, OutboundDelivery, SupportTicketEvent
from api.db.types import utc_now
from api.domain.drivers.commands import add_user
from api.domain.support.audit import SYSTEM
from api.domain.support.workflow import open_ticket
from api.security.tokens import Role
from api.services import open_services
from api.settings import Settings
from tests.deliveries_receiver import Receiver
from tests.integration.conftest import ClientFactory
from tests.integration.test_chat import charger_with_session, signed_in, user_id
from tests.support import database_session, make_settings, wait_for

Client = AsyncTestClient[Litestar]
SECRET = "support-webhook-secret-123456"
STAFF_PASSWORD = "a staff password 123"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    box = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = await Receiver(SECRET).start()
    try:
        yield server
    finally:
        await server.stop()


def desk_settings(database_url: str, inbox: tuple[Inbox, int], receiver: Receiver) -> dict[str, Any]:
    return {
        "smtp_url": f"smtp://127.0.0.1:{inbox[1]}",
        "public_url": "https://desk.example.com",
        "support_webhook_url": receiver.url,
        "support_webhook_secret": SECRET,
    }


async def add_staff(settings: Settings) -> None:
    staff: tuple[tuple[str, Role], ...] = (
        ("ana@example.com", "agent"),
        ("ben@example.com", "agent"),
        ("ada@example.com", "admin"),
    )
    for email, role in staff:
        await add_user(settings, email=email, password=STAFF_PASSWORD, role=role, name=email.split("@")[0].title())


async def staff_headers(client: Client, email: str) -> dict[str, str]:
    tokens = (await client.post("/v1/auth/login", json={"email": email, "password": STAFF_PASSWORD})).json()
    return {"Authorization": f"Bearer {tokens['accessToken']}"}


async def count(database_url: str, model: Any, *where: Any) -> int:
    async with database_session(database_url) as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_an_urgent_ticket_reaches_the_webhook_and_the_agents_on_duty_once(
    client_factory: ClientFactory, database_url: str, inbox: tuple[Inbox, int], receiver: Receiver
) -> None:
    overrides = desk_settings(database_url, inbox, receiver)
    settings = make_settings(database_url=database_url, **overrides)
    await add_staff(settings)
    client = await client_factory(**overrides)
    ana = await staff_headers(client, "ana@example.com")
    assert (await client.get("/v1/support/duty", headers=ana)).json() == {"onDuty": False}
    going = await client.put("/v1/support/duty", json={"onDuty": True}, headers=ana)
    assert going.status_code == 200, going.text
    assert (await client.get("/v1/support/duty", headers=ana)).json() == {"onDuty": True}

    driver = await signed_in(client, "dana@example.com")
    await charger_with_session(database_url, "ALERT-1", await user_id(database_url, "dana@example.com"))
    conversation = (await client.post("/v1/chat/conversations", json={}, headers=driver)).json()
    reply = await client.post(
        f"/v1/chat/conversations/{conversation['id']}/messages",
        json={"text": "sparks and smoke from the plug!"},
        headers=driver,
    )
    number = reply.json()["ticketId"]

    # Opening the ticket wakes the alerts, whose commit wakes the delivery worker: no clock to drive.
    await wait_for(lambda: _async(receiver.requests), "the urgent ticket's webhook delivery")
    await wait_for(lambda: _async(alerts_in(inbox[0])), "the urgent ticket's mail")
    async with open_services(settings) as another_process:
        assert await another_process.support_alerts.scan() == 0  # scanning again sends nothing more

    [delivery] = receiver.requests
    assert delivery.signed
    assert delivery.kind == "support.ticket_urgent"
    body = delivery.json()
    ticket_id = body["ticketId"]
    assert (body["number"], body["priority"], body["category"]) == (number, "urgent", "safety_hazard")
    assert body["chargerId"] == "ALERT-1"
    assert body["link"] == f"https://desk.example.com/console/tickets/{ticket_id}"
    assert body["clock"] == "first_response"
    assert body["dueAt"] is not None
    [mail] = alerts_in(inbox[0])  # the driver's own address confirmation is the other mail
    assert mail["To"] == "ana@example.com"
    assert mail["Subject"].startswith(f"Urgent ticket {number}")
    assert f"/console/tickets/{ticket_id}" in mail.get_content()
    assert await count(database_url, OutboundDelivery) == 1
    assert await count(database_url, MailMessage, MailMessage.kind == "support_ticket_urgent") == 1
    assert await count(database_url, SupportTicketEvent, SupportTicketEvent.action == "urgent_notified") == 1


async def test_an_sla_about_to_run_out_is_warned_about_once_to_every_agent_when_nobody_is_on_duty(
    database_url: str, inbox: tuple[Inbox, int], receiver: Receiver
) -> None:
    settings = make_settings(database_url=database_url, **desk_settings(database_url, inbox, receiver))
    await add_staff(settings)
    async with open_services(settings) as services, services.session_factory() as session:
        # Opened 40 minutes ago at high priority: its first response (60 minutes) is due in 20 minutes.
        late = await open_ticket(
            session,
            policy=services.support.policy,
            actor=SYSTEM,
            source="agent",
            priority="high",
            category="billing",
            summary="Charged twice for one session",
            now=utc_now() - timedelta(minutes=40),
        )
        # Opened now at normal priority: four hours to go, nothing to warn about.
        await open_ticket(
            session,
            policy=services.support.policy,
            actor=SYSTEM,
            source="agent",
            priority="normal",
            category="billing",
            summary="Receipt missing",
            now=utc_now(),
        )
        await session.commit()
        late_id, due = late.id, late.first_response_due_at
        assert due is not None

        assert await services.support_alerts.scan() == 1
        assert await services.support_alerts.scan() == 0
        assert await services.deliveries.run_once() == 1
        assert await services.support_alerts.scan() == 0
        assert await services.deliveries.run_once() == 0
    # Closing the services waited for the mails to go out.

    [delivery] = receiver.requests
    assert delivery.signed
    assert delivery.kind == "support.sla_warning"
    body = delivery.json()
    assert (body["ticketId"], body["priority"], body["clock"]) == (late_id, "high", "first_response")
    assert body["dueAt"] == due.isoformat()
    recipients = sorted(message["To"] for message in inbox[0].messages)
    assert recipients == ["ada@example.com", "ana@example.com", "ben@example.com"]
    subjects = {message["Subject"].strip() for message in inbox[0].messages}
    assert subjects == {f"SLA warning T-{late_id:06d}: first response due {due:%Y-%m-%d %H:%M} UTC"}
    assert await count(database_url, OutboundDelivery) == 1
    assert await count(database_url, SupportTicketEvent, SupportTicketEvent.action == "sla_warned") == 1


def alerts_in(box: Inbox) -> list[Any]:
    return [m for m in box.messages if m["Subject"].startswith(("Urgent ticket", "SLA warning"))]


async def _async(value: Any) -> Any:
    return value
