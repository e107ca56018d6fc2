"""Mail goes out over a real SMTP connection when VOLTWAY_SMTP_URL is set."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from api.db.engine import create_engine
from api.db.models import MailMessage
from tests.integration.conftest import ClientFactory


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 OK"


async def wait_for_delivery(database_url: str) -> Any:
    """Delivery runs in the background; poll the outbox row until it leaves the queued state."""
    engine = create_engine(database_url)
    try:
        for _ in range(200):
            async with engine.connect() as connection:
                row = (await connection.execute(select(MailMessage.status, MailMessage.last_error))).one()
            if row.status != "queued":
                return row
            await asyncio.sleep(0.05)
    finally:
        await engine.dispose()
    raise AssertionError("the message was never delivered or failed")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


async def test_verification_mail_is_sent_over_smtp(
    client_factory: ClientFactory, smtp_server: tuple[Inbox, int], database_url: str
) -> None:
    inbox, port = smtp_server
    client = await client_factory(smtp_url=f"smtp://127.0.0.1:{port}", public_url="https://api.example.com")
    response = await client.post(
        "/v1/auth/register", json={"email": "mia@example.com", "password": "a good long password", "name": "Mia"}
    )
    assert response.status_code == 201
    assert (await wait_for_delivery(database_url)).status == "sent"

    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == "mia@example.com"
    assert message["Subject"] == "Confirm your email address"
    link = re.search(r"https://api\.example\.com/v1/auth/verify-email\?token=(\S+)", message.get_content())
    assert link is not None
    verified = (await client.get("/v1/auth/verify-email", params={"token": link.group(1)})).json()
    assert (verified["emailVerified"], verified["alreadyVerified"]) == (True, False)


async def test_failed_delivery_is_recorded_and_the_request_still_succeeds(
    client_factory: ClientFactory, database_url: str
) -> None:
    client = await client_factory(smtp_url=f"smtp://127.0.0.1:{_free_port()}")
    response = await client.post(
        "/v1/auth/register", json={"email": "leo@example.com", "password": "a good long password", "name": "Leo"}
    )
    assert response.status_code == 201
    row = await wait_for_delivery(database_url)
    assert row.status == "failed"
    assert "Connection" in (row.last_error or "")
