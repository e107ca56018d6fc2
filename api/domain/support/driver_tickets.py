"""A driver's own tickets: reading them (never internal notes, never anyone else's), replying, rating once, and
reopening a solved ticket for a while; and what the driver writes in the chat while a ticket is open."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import SupportTicket, SupportTicketMessage, User
from api.domain.support.audit import Actor
from api.domain.support.desk import set_status
from api.domain.support.driver_chat import (
    active_ticket,
    driver_actor,
    rate,
    score_in,
    status_event,
    survey_ticket,
    thanks,
)
from api.domain.support.publishing import Pending
from api.domain.support.schemas import MyTicket
from api.domain.support.services import ticket_number
from api.domain.support.views import DRIVER_VISIBLE, messages_of, my_ticket, reopen_until
from api.domain.support.workflow import add_message
from api.errors import Conflict, NotFound


class ReopenWindowOver(Conflict):
    slug = "ticket-reopen-window-over"
    title = "The ticket can no longer be reopened"


async def driver_of(session: AsyncSession, user_id: uuid.UUID) -> Actor:
    return driver_actor(await session.get(User, user_id), user_id)


async def own_ticket(session: AsyncSession, user_id: uuid.UUID, ticket_id: int) -> SupportTicket:
    """The driver's ticket, locked for a change; another driver's looks exactly like a missing one."""
    ticket = (
        await session.execute(
            select(SupportTicket)
            .where(SupportTicket.id == ticket_id, SupportTicket.user_id == user_id)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if ticket is None:
        raise NotFound(f"No ticket {ticket_number(ticket_id)} of yours.")
    return ticket


async def my_tickets(session: AsyncSession, user_id: uuid.UUID, *, reopen_days: int, now: datetime) -> list[MyTicket]:
    tickets = list(
        (
            await session.execute(
                select(SupportTicket)
                .where(SupportTicket.user_id == user_id)
                .order_by(SupportTicket.created_at.desc(), SupportTicket.id.desc())
                .limit(200)
            )
        ).scalars()
    )
    by_ticket: dict[int, list[SupportTicketMessage]] = {}
    for message in await messages_of(session, [t.id for t in tickets], DRIVER_VISIBLE) if tickets else []:
        by_ticket.setdefault(message.ticket_id, []).append(message)
    return [my_ticket(t, by_ticket.get(t.id, []), reopen_days=reopen_days, now=now) for t in tickets]


async def one_view(session: AsyncSession, ticket: SupportTicket, *, reopen_days: int, now: datetime) -> MyTicket:
    messages = await messages_of(session, [ticket.id], DRIVER_VISIBLE)
    return my_ticket(ticket, messages, reopen_days=reopen_days, now=now)


def driver_reply(
    session: AsyncSession, ticket: SupportTicket, text: str, actor: Actor, pending: Pending, now: datetime
) -> None:
    """What the driver adds to their ticket (a pending ticket opens again; a closed one refuses with 409)."""
    before = ticket.status
    add_message(session, ticket, visibility="public", actor=actor, text=text, now=now)
    pending.ticket(ticket)
    if ticket.status != before:
        pending.conversation(ticket.conversation_id, "ticket_status", status_event(ticket, now))


def driver_rates(
    session: AsyncSession,
    ticket: SupportTicket,
    score: int,
    comment: str | None,
    actor: Actor,
    pending: Pending,
    now: datetime,
) -> None:
    rate(session, ticket, score, comment, actor, now)
    pending.ticket(ticket)


def reopen(
    session: AsyncSession,
    ticket: SupportTicket,
    actor: Actor,
    pending: Pending,
    *,
    reopen_days: int,
    now: datetime,
) -> None:
    """A solved ticket opens again within the reopen window; later, or once closed, the driver starts anew."""
    number = ticket_number(ticket.id)
    until = reopen_until(ticket, reopen_days)
    if until is None:
        if ticket.status == "closed":
            raise ReopenWindowOver(f"Ticket {number} is closed; start a new conversation to get help again.")
        raise Conflict(f"Ticket {number} is not solved; there is nothing to reopen.")
    if now > until:
        raise ReopenWindowOver(
            f"Ticket {number} was solved more than {reopen_days} days ago and can no longer be reopened; "
            "start a new conversation to get help again."
        )
    set_status(session, ticket, "open", actor, pending, now=now, comment="reopened by the driver")


async def chat_message_on_ticket(
    session: AsyncSession,
    conversation_id: uuid.UUID,
    user_id: uuid.UUID,
    text: str,
    pending: Pending,
    now: datetime,
) -> SupportTicket | None:
    """What the driver writes in a conversation with a ticket still being worked is a reply on that ticket."""
    ticket = await active_ticket(session, conversation_id, user_id)
    if ticket is None or not text.strip():
        return None
    driver_reply(session, ticket, text, await driver_of(session, user_id), pending, now)
    return ticket


async def survey_answer(
    session: AsyncSession,
    conversation_id: uuid.UUID,
    user_id: uuid.UUID,
    text: str,
    pending: Pending,
    now: datetime,
) -> str | None:
    """A 1-5 answer to the survey the conversation just asked: the rating is stored and the thanks answered;
    None when the message is not such an answer."""
    score = score_in(text)
    if score is None:
        return None
    ticket = await survey_ticket(session, conversation_id)
    if ticket is None or ticket.user_id != user_id or ticket.status not in ("solved", "closed"):
        return None
    rate(session, ticket, score, None, await driver_of(session, user_id), now)
    pending.ticket(ticket)
    return thanks(ticket)
