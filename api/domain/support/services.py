"""Opening tickets, adding what the driver says after the hand-over, and the response times drivers are promised
for each priority."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, cast

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import SupportTicket, User
from api.db.types import utc_now
from api.domain.support.audit import ASSISTANT, Actor
from api.domain.support.sla import SlaPolicy, build_policy
from api.domain.support.workflow import ACTIVE_STATUSES, add_message, open_ticket
from chatbot.ports import Priority, TicketDraft, TicketRef, TranscriptLine

if TYPE_CHECKING:
    from api.domain.support.feed import TicketFeed

OPEN_STATUSES: Final = ACTIVE_STATUSES  # still being worked: the driver's words go there


def ticket_number(ticket_id: int) -> str:
    """What drivers and agents quote: T-000042."""
    return f"T-{ticket_id:06d}"


def ticket_id_of(number: str) -> int | None:
    """The row id behind a quoted ticket number, or None when it is not one."""
    digits = number.strip().upper().removeprefix("T-")
    return int(digits) if digits.isdigit() and len(digits) <= 18 else None


class SupportService:
    """The assistant's way into the desk: opening tickets and adding the driver's later words to them."""

    def __init__(self, policy: SlaPolicy | None = None, feed: TicketFeed | None = None) -> None:
        self.policy = policy or build_policy("", "", "UTC")
        self.opened: Callable[[], None] | None = None  # called after a ticket is committed (wakes the alerts)
        self.feed = feed  # the agents' queue hears of tickets opened and added to here

    async def _publish(self, session: AsyncSession, ticket: SupportTicket, *, status_changed: bool = False) -> None:
        # imported here: the views and the chat side import this module
        from api.domain.support.driver_chat import status_event
        from api.domain.support.publishing import Pending

        pending = Pending()
        pending.ticket(ticket)
        if status_changed:
            pending.conversation(ticket.conversation_id, "ticket_status", status_event(ticket, utc_now()))
        await pending.publish(session, self.feed, utc_now())

    async def open(
        self,
        session: AsyncSession,
        draft: TicketDraft,
        *,
        user_id: uuid.UUID | None,
        conversation_id: uuid.UUID | None,
        charger_id: str | None,
        session_id: uuid.UUID | None = None,
    ) -> TicketRef:
        """Store the ticket (committed at once: a driver told a ticket number must find it) and answer its ref."""
        ticket = await open_ticket(
            session,
            policy=self.policy,
            actor=ASSISTANT,
            source="assistant",
            priority=draft.priority,
            category=draft.intent,
            summary=draft.summary,
            now=utc_now(),
            language=draft.language,
            intent=draft.intent,
            confidence=draft.confidence,
            user_id=user_id,
            conversation_id=conversation_id,
            charger_id=charger_id,
            session_id=session_id,
            transcript=msgspec.to_builtins(list(draft.transcript)),
            diagnostics=msgspec.to_builtins(draft.diagnostics),
            actions_tried=msgspec.to_builtins(list(draft.actions_tried)),
        )
        minutes = ticket.expected_response_minutes
        await session.commit()
        await self._publish(session, ticket)
        if self.opened is not None:
            self.opened()
        return TicketRef(ticket_id=ticket_number(ticket.id), priority=draft.priority, expected_response_minutes=minutes)

    async def add_to_ticket(
        self,
        session: AsyncSession,
        number: str,
        line: TranscriptLine,
        *,
        user_id: uuid.UUID | None,
        conversation_id: uuid.UUID | None,
    ) -> TicketRef | None:
        """Append what the driver said after the hand-over to their open ticket's transcript and as the driver's
        public message on it (a pending ticket opens again; committed at once, then shown in the agents' queue);
        None when the number is not an open ticket of this driver's conversation."""
        ticket_id = ticket_id_of(number)
        if ticket_id is None:
            return None
        ticket = (
            await session.execute(
                select(SupportTicket)
                .where(
                    SupportTicket.id == ticket_id,
                    SupportTicket.user_id == user_id,
                    SupportTicket.conversation_id == conversation_id,
                    SupportTicket.status.in_(OPEN_STATUSES),
                )
                .with_for_update()
            )
        ).scalar_one_or_none()
        if ticket is None:
            return None
        now, before = utc_now(), ticket.status
        ticket.transcript = [*ticket.transcript, msgspec.to_builtins(line)]
        user = await session.get(User, user_id) if user_id is not None else None
        name = (user.name.strip() or user.email.partition("@")[0]) if user is not None else ""
        add_message(
            session,
            ticket,
            visibility="public",
            actor=Actor(user_id, "driver", name or "driver"),
            text=line.text,
            now=now,
        )
        ticket.updated_at = now
        priority = cast(Priority, ticket.priority)
        minutes = ticket.expected_response_minutes
        await session.commit()
        await self._publish(session, ticket, status_changed=ticket.status != before)
        return TicketRef(ticket_id=ticket_number(ticket_id), priority=priority, expected_response_minutes=minutes)
