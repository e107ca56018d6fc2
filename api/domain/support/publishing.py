"""What a ticket change tells the live feeds, gathered during the transaction and sent once it has committed."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import SupportTicket
from api.db.types import utc_now
from api.domain.support.feed import TicketFeed
from api.domain.support.views import summary, summary_of, users_of


class Pending:
    """Tickets to show again in the queue and events for drivers' conversations, published after the commit
    (nothing is pushed for a change that rolled back)."""

    def __init__(self) -> None:
        self.tickets: dict[int, SupportTicket] = {}
        self.events: list[tuple[uuid.UUID, str, Any]] = []

    def ticket(self, ticket: SupportTicket) -> None:
        self.tickets[ticket.id] = ticket

    def conversation(self, conversation_id: uuid.UUID | None, kind: str, data: Any) -> None:
        if conversation_id is not None and data is not None:
            self.events.append((conversation_id, kind, data))

    async def publish(self, session: AsyncSession, feed: TicketFeed | None, now: datetime) -> None:
        if feed is None:
            return
        if self.tickets:
            users = await users_of(session, self.tickets.values())
            for ticket in self.tickets.values():
                feed.ticket_changed(summary_of(ticket, users, now))
        for conversation_id, kind, data in self.events:
            feed.conversation_event(conversation_id, kind, data)
        self.tickets.clear()
        self.events.clear()


class TicketAnnouncer:
    """Tells the live queue about a ticket another part of the system committed by id (network faults, station
    reports), and wakes the urgent-ticket alerts."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        feed: TicketFeed,
        wake_alerts: Callable[[], None] | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._feed = feed
        self._wake_alerts = wake_alerts

    async def __call__(self, ticket_id: int) -> None:
        async with self._session_factory() as session:
            ticket = await session.get(SupportTicket, ticket_id)
            if ticket is not None:
                self._feed.ticket_changed(await summary(session, ticket, utc_now()))
        if self._wake_alerts is not None:
            self._wake_alerts()
