"""What a ticket change tells the live feeds, gathered during the transaction and sent once it has committed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import SupportTicket
from api.domain.support.feed import TicketFeed
from api.domain.support.views import summary_of, users_of


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
