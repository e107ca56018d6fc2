"""What agents do to tickets: open one by hand, change its fields, claim and assign, move it through the workflow,
reply to the driver, note for colleagues, merge duplicates, and several tickets at once.

Each operation changes the ticket and its audit trail in the caller's transaction and records what the live
feeds must hear in a `Pending`; the controller commits, then publishes.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Final

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import ChargingSession, ChargingStation, SupportTicket, User
from api.domain.support import audit
from api.domain.support.audit import Actor
from api.domain.support.driver_chat import ask_survey, merged_notice, reply_in_chat, status_event
from api.domain.support.publishing import Pending
from api.domain.support.schemas import BulkUpdate, OpenTicket, PatchTicket
from api.domain.support.services import ticket_number
from api.domain.support.sla import SlaPolicy
from api.domain.support.workflow import (
    SAFETY_CATEGORY,
    TicketClosed,
    add_message,
    change_priority,
    change_status,
    open_ticket,
)
from api.errors import Conflict, FieldError, InvalidInput, NotFound

STAFF_ROLES = ("agent", "admin")


class MergeRefused(Conflict):
    slug = "ticket-merge-refused"
    title = "These tickets cannot be merged"


MAX_TICKET_ID: Final = 2**63 - 1  # the largest row id; a larger number names no ticket (and PostgreSQL refuses it)


async def ticket_or_404(session: AsyncSession, ticket_id: int, *, for_update: bool = False) -> SupportTicket:
    """The ticket with this id (locked for a change when `for_update`), else 404."""
    in_range = 0 < ticket_id <= MAX_TICKET_ID
    ticket = await session.get(SupportTicket, ticket_id, with_for_update=for_update) if in_range else None
    if ticket is None:
        raise NotFound(f"No ticket {ticket_number(ticket_id)}.")
    return ticket


async def ticket_for_update(session: AsyncSession, ticket_id: int) -> SupportTicket:
    return await ticket_or_404(session, ticket_id, for_update=True)


def set_status(
    session: AsyncSession,
    ticket: SupportTicket,
    to: str,
    actor: Actor,
    pending: Pending,
    *,
    now: datetime,
    comment: str | None = None,
) -> bool:
    """The workflow move, and what the driver hears of it; True when the status changed."""
    before = ticket.status
    change_status(session, ticket, to, actor, now=now, comment=comment)
    if ticket.status == before:
        return False
    pending.ticket(ticket)
    pending.conversation(ticket.conversation_id, "ticket_status", status_event(ticket, now))
    return True


async def after_status(session: AsyncSession, ticket: SupportTicket, pending: Pending, now: datetime) -> None:
    """A ticket just solved asks its driver for a rating in the chat."""
    if ticket.status == "solved":
        pending.conversation(ticket.conversation_id, "survey", await ask_survey(session, ticket, now))


async def open_by_hand(
    session: AsyncSession, data: OpenTicket, actor: Actor, policy: SlaPolicy, pending: Pending, now: datetime
) -> SupportTicket:
    """A ticket an agent opens (a phone call, an email): linked to the driver, charger and session named."""
    driver: User | None = None
    if data.driver_id is not None:
        driver = await session.get(User, data.driver_id)
        if driver is None or driver.role != "driver" or driver.erased_at is not None:
            raise InvalidInput([FieldError("driverId", "no driver account with this id")])
    charging: ChargingSession | None = None
    charger_id = data.charger_id
    if data.session_id is not None:
        charging = await session.get(ChargingSession, data.session_id)
        if charging is None:
            raise InvalidInput([FieldError("sessionId", "no charging session with this id")])
        if driver is None and charging.user_id is not None:
            driver = await session.get(User, charging.user_id)
        if charger_id is None:
            charger_id = await session.scalar(
                select(ChargingStation.ocpp_id).where(ChargingStation.id == charging.charging_station_id)
            )
    ticket = await open_ticket(
        session,
        policy=policy,
        actor=actor,
        source="agent",
        priority=data.priority,
        category=data.category,
        summary=data.summary.strip(),
        now=now,
        language=(driver.locale if driver is not None else "en")[:8],
        user_id=driver.id if driver is not None else None,
        charger_id=charger_id,
        session_id=charging.id if charging is not None else None,
        location_id=charging.location_id if charging is not None else None,
        evse_id=charging.evse_id if charging is not None else None,
        tags=data.tags,
    )
    if data.text and data.text.strip():
        add_message(session, ticket, visibility="internal", actor=actor, text=data.text, now=now)
    pending.ticket(ticket)
    return ticket


def patch(
    session: AsyncSession,
    ticket: SupportTicket,
    data: PatchTicket,
    actor: Actor,
    policy: SlaPolicy,
    pending: Pending,
    now: datetime,
) -> None:
    """Priority (new SLA due times), category (safety makes it urgent) and tags."""
    if ticket.status == "closed":
        raise TicketClosed(f"Ticket {ticket_number(ticket.id)} is closed; open a new one instead.")
    if data.category is not None and data.category != ticket.category:
        audit.record(session, ticket.id, actor, "category", {"from": ticket.category, "to": data.category}, at=now)
        ticket.category = data.category
        ticket.updated_at = now
        if data.category == SAFETY_CATEGORY:
            change_priority(session, ticket, "urgent", actor, policy=policy, now=now)
    if data.priority is not None:
        change_priority(session, ticket, data.priority, actor, policy=policy, now=now)
    if data.tags is not None:
        tags = sorted({t.strip() for t in data.tags if t.strip()})
        if tags != sorted(ticket.tags or []):
            audit.record(session, ticket.id, actor, "tags", {"from": list(ticket.tags or []), "to": tags}, at=now)
            ticket.tags = tags
            ticket.updated_at = now
    pending.ticket(ticket)


async def assign(
    session: AsyncSession,
    ticket: SupportTicket,
    assignee_id: uuid.UUID | None,
    actor: Actor,
    pending: Pending,
    now: datetime,
) -> None:
    """Give the ticket to an agent or admin account (422 for any other), or to nobody."""
    if ticket.status == "closed":
        raise TicketClosed(f"Ticket {ticket_number(ticket.id)} is closed; open a new one instead.")
    if assignee_id is not None:
        assignee = await session.get(User, assignee_id)
        if assignee is None or assignee.role not in STAFF_ROLES or assignee.erased_at is not None:
            raise InvalidInput([FieldError("assigneeId", "tickets are assigned to agent or admin accounts only")])
    if assignee_id == ticket.assignee_id:
        return
    audit.record(
        session,
        ticket.id,
        actor,
        "assigned",
        {
            "from": str(ticket.assignee_id) if ticket.assignee_id else None,
            "to": str(assignee_id) if assignee_id else None,
        },
        at=now,
    )
    ticket.assignee_id = assignee_id
    ticket.updated_at = now
    pending.ticket(ticket)


async def reply(
    session: AsyncSession, ticket: SupportTicket, text: str, actor: Actor, pending: Pending, now: datetime
) -> int:
    """A public reply: on the ticket and, at once, in the driver's chat. Answers the message id."""
    before = ticket.status
    message = add_message(session, ticket, visibility="public", actor=actor, text=text, now=now)
    await session.flush()
    pending.ticket(ticket)
    pending.conversation(ticket.conversation_id, "agent_reply", await reply_in_chat(session, ticket, message, now))
    if ticket.status != before:
        pending.conversation(ticket.conversation_id, "ticket_status", status_event(ticket, now))
    return message.id


async def note(
    session: AsyncSession, ticket: SupportTicket, text: str, actor: Actor, pending: Pending, now: datetime
) -> int:
    """An internal note: agents only, never the driver."""
    message = add_message(session, ticket, visibility="internal", actor=actor, text=text, now=now)
    await session.flush()
    pending.ticket(ticket)
    return message.id


async def merge(
    session: AsyncSession, ticket: SupportTicket, into_id: int, actor: Actor, pending: Pending, now: datetime
) -> SupportTicket:
    """Close `ticket` as a duplicate of `into_id`: its messages stay, its links fill the gaps of the other, and its
    driver is told where the work continues."""
    if into_id == ticket.id:
        raise InvalidInput([FieldError("intoId", "a ticket cannot be merged into itself")])
    into = await session.get(SupportTicket, into_id, with_for_update=True)
    if into is None:
        raise InvalidInput([FieldError("intoId", f"no ticket {ticket_number(into_id)}")])
    if ticket.status == "closed":
        raise MergeRefused(f"Ticket {ticket_number(ticket.id)} is already closed.")
    if into.status == "closed":
        raise MergeRefused(f"Ticket {ticket_number(into_id)} is closed; merge into an open ticket.")
    if ticket.user_id is not None and into.user_id is not None and ticket.user_id != into.user_id:
        raise MergeRefused("These tickets belong to different drivers.")
    for field in ("user_id", "conversation_id", "session_id", "location_id", "evse_id", "charger_id"):
        if getattr(into, field) is None and getattr(ticket, field) is not None:
            setattr(into, field, getattr(ticket, field))
    into.tags = sorted({*(into.tags or []), *(ticket.tags or [])})
    into.updated_at = now
    add_message(session, ticket, visibility="system", actor=audit.SYSTEM, text=merged_notice(ticket, into_id), now=now)
    audit.record(session, ticket.id, actor, "merged", {"into": into_id}, at=now)
    audit.record(session, into_id, actor, "merged_from", {"ticket": ticket.id}, at=now)
    previous = ticket.status
    ticket.merged_into_id = into_id
    ticket.status, ticket.closed_at, ticket.updated_at = "closed", now, now
    audit.record(session, ticket.id, actor, "status", {"from": previous, "to": "closed", "reason": "merged"}, at=now)
    pending.ticket(ticket)
    pending.ticket(into)
    pending.conversation(ticket.conversation_id, "ticket_status", status_event(ticket, now))
    return into


async def bulk_apply(
    session: AsyncSession,
    ticket: SupportTicket,
    data: BulkUpdate,
    actor: Actor,
    policy: SlaPolicy,
    pending: Pending,
    now: datetime,
) -> None:
    """One ticket's share of a bulk update (the caller runs each ticket in its own transaction)."""
    if data.priority is not None:
        patch(session, ticket, PatchTicket(priority=data.priority), actor, policy, pending, now)
    if data.add_tags:
        patch(session, ticket, PatchTicket(tags=[*(ticket.tags or []), *data.add_tags]), actor, policy, pending, now)
    if data.assignee_id is not msgspec.UNSET:
        await assign(session, ticket, data.assignee_id, actor, pending, now)
    if data.status is not None and set_status(session, ticket, data.status, actor, pending, now=now):
        await after_status(session, ticket, pending, now)
