"""Helpers for the support desk tests: accounts of every role, a ticket opened by the assistant, the app served on a
real socket for the live streams, and a reader of server-sent events."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from api.app import create_app
from api.db.engine import create_engine, create_session_factory
from api.db.models import SupportTicket, SupportTicketEvent, User
from api.domain.drivers.commands import add_user
from api.security.tokens import Role
from tests.support import make_settings

Client = AsyncTestClient[Litestar] | httpx.AsyncClient
PASSWORD = "correct horse battery"


async def account(
    client: Client, database_url: str, email: str, role: Role, *, name: str, locale: str = "en"
) -> dict[str, str]:
    """An account of `role`, signed in: its Authorization header."""
    if role == "driver":
        body = {"email": email, "password": PASSWORD, "name": name, "locale": locale, "preferredCurrency": "EUR"}
        assert (await client.post("/v1/auth/register", json=body)).status_code == 201
    else:
        await add_user(make_settings(database_url=database_url), email=email, password=PASSWORD, role=role, name=name)
    answer = await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['accessToken']}"}


@dataclass
class Desk:
    """Who is signed in: two drivers, an agent and an admin."""

    driver: dict[str, str]
    other: dict[str, str]
    agent: dict[str, str]
    admin: dict[str, str]


async def desk_accounts(client: Client, database_url: str, *, driver_locale: str = "en") -> Desk:
    return Desk(
        driver=await account(client, database_url, "dana@example.com", "driver", name="Dana", locale=driver_locale),
        other=await account(client, database_url, "eve@example.com", "driver", name="Eve"),
        agent=await account(client, database_url, "agent@example.com", "agent", name="Alex Agent"),
        admin=await account(client, database_url, "admin@example.com", "admin", name="Ada Admin"),
    )


async def escalated(
    client: Client, headers: dict[str, str], text: str = "I want to talk to a human"
) -> tuple[str, int]:
    """The driver asks the assistant for a person: (conversation id, ticket id)."""
    conversation = (await client.post("/v1/chat/conversations", json={}, headers=headers)).json()
    path = f"/v1/chat/conversations/{conversation['id']}/messages"
    reply = (await client.post(path, json={"text": text}, headers=headers)).json()
    assert reply["ticketId"], reply
    return conversation["id"], int(reply["ticketId"].removeprefix("T-"))


async def user_id(database_url: str, email: str) -> uuid.UUID:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            found: uuid.UUID = (await session.execute(select(User.id).where(User.email == email))).scalar_one()
            return found
    finally:
        await engine.dispose()


async def update_ticket(database_url: str, ticket_id: int, **values: Any) -> None:
    """Change a ticket's row directly (to move its times into the past)."""
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            ticket = await session.get(SupportTicket, ticket_id)
            assert ticket is not None
            for key, value in values.items():
                setattr(ticket, key, value)
            await session.commit()
    finally:
        await engine.dispose()


async def audit_actions(database_url: str, ticket_id: int) -> list[tuple[str, str]]:
    """(actor role, action) of the ticket's audit trail, oldest first."""
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            rows = await session.execute(
                select(SupportTicketEvent.actor_role, SupportTicketEvent.action)
                .where(SupportTicketEvent.ticket_id == ticket_id)
                .order_by(SupportTicketEvent.id)
            )
            return [(role, action) for role, action in rows]
    finally:
        await engine.dispose()


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        return


@asynccontextmanager
async def served(database_url: str, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The app on a real socket (port 0) in a thread of its own, and a client for it: streams are read for real."""
    settings = make_settings(database_url=database_url, rate_limit_per_minute=0, **overrides)
    app = create_app(settings)
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, name="support-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "the app stopped before serving"
        assert time.monotonic() < deadline, "the app did not start serving within 30 s"
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield client
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 30)


class EventReader:
    """Reads a server-sent event stream: `listening()` once subscribed, then `next()` event by event."""

    def __init__(self, response: httpx.Response) -> None:
        self._lines = response.aiter_lines()

    async def _block(self) -> tuple[str | None, str | None, str | None]:
        event = data = comment = None
        while True:
            line = await self._lines.__anext__()
            if not line:
                if event or data or comment:
                    return event, data, comment
                continue
            if line.startswith(":"):
                comment = line[1:].strip()
            elif line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data = (data + "\n" if data else "") + line[5:].strip()

    async def listening(self, seconds: float = 10.0) -> None:
        async with asyncio.timeout(seconds):
            while (await self._block())[2] != "listening":
                pass

    async def next(self, seconds: float = 10.0) -> tuple[str, dict[str, Any]]:
        """The next named event, skipping keep-alive comments; fails after `seconds`."""
        async with asyncio.timeout(seconds):
            while True:
                event, data, _ = await self._block()
                if event and data is not None:
                    return event, json.loads(data)
