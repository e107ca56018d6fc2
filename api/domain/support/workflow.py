"""A ticket's life: opening it with its service-level clock, the status moves allowed between new and closed, and
what was said on it; every change goes to the audit trail in the same transaction.

Callers commit, then publish the change to the live feeds (the agents' queue, the driver's conversation).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import SupportTicket, SupportTicketMessage
from api.domain.support import audit
from api.domain.support.audit import Actor
from api.domain.support.sla import SlaPolicy
from api.errors import Conflict, FieldError, InvalidInput

ACTIVE_STATUSES: Final = ("new", "open", "pending", "on_hold")
TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    "new": frozenset({"open", "pending", "on_hold", "solved", "closed"}),
    "open": frozenset({"pending", "on_hold", "solved"}),
    "pending": frozenset({"open", "on_hold", "solved"}),
    "on_hold": frozenset({"open", "pending", "solved"}),
    "solved": frozenset({"open", "closed"}),
    "closed": frozenset(),
}
SAFETY_CATEGORY: Final = "safety_hazard"


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput([FieldError(field=field, message=message)])


class TicketClosed(Conflict):
    slug = "ticket-closed"
    title = "The ticket is closed"


class InvalidTransition(Conflict):
    slug = "invalid-ticket-transition"
    title = "The ticket cannot move to that status"


async def open_ticket(
    session: AsyncSession,
    *,
    policy: SlaPolicy,
    actor: Actor,
    source: str,
    priority: str,
    category: str,
    summary: str,
    now: datetime,
    language: str = "en",
    intent: str | None = None,
    confidence: float = 1.0,
    user_id: uuid.UUID | None = None,
    conversation_id: uuid.UUID | None = None,
    charger_id: str | None = None,
    session_id: uuid.UUID | None = None,
    location_id: uuid.UUID | None = None,
    evse_id: uuid.UUID | None = None,
    dedupe_key: str | None = None,
    tags: Sequence[str] = (),
    transcript: Sequence[dict[str, Any]] = (),
    diagnostics: dict[str, Any] | None = None,
    actions_tried: Sequence[dict[str, Any]] = (),
) -> SupportTicket:
    """Add a new ticket (flushed, so it has its id) with its SLA due times and its `created` audit row; the caller
    commits.

    Safety is always urgent, whoever opens the ticket.
    """
    if category == SAFETY_CATEGORY:
        priority = "urgent"
    if priority not in policy.targets:
        raise _invalid("priority", f"unknown priority {priority!r}: use low, normal, high or urgent")
    first_due, resolution_due = policy.due_times(priority, now)
    ticket = SupportTicket(
        status="new",
        priority=priority,
        intent=intent or category,
        confidence=confidence,
        language=language,
        summary=summary[:300],
        category=category,
        source=source,
        tags=sorted(set(tags)),
        user_id=user_id,
        conversation_id=conversation_id,
        charger_id=charger_id,
        session_id=session_id,
        location_id=location_id,
        evse_id=evse_id,
        dedupe_key=dedupe_key,
        transcript=list(transcript),
        diagnostics=diagnostics or {},
        actions_tried=list(actions_tried),
        expected_response_minutes=policy.targets[priority].first_response_minutes,
        first_response_due_at=first_due,
        resolution_due_at=resolution_due,
        created_at=now,
        updated_at=now,
    )
    session.add(ticket)
    await session.flush()
    audit.record(
        session,
        ticket.id,
        actor,
        "created",
        {"source": ticket.source, "priority": ticket.priority, "category": ticket.category},
        at=now,
    )
    return ticket


def change_status(
    session: AsyncSession, ticket: SupportTicket, to: str, actor: Actor, *, now: datetime, comment: str | None = None
) -> None:
    """Move the ticket to `to` when the workflow allows it (409 otherwise); solved and closed are time-stamped."""
    if to not in TRANSITIONS:
        raise _invalid("status", f"unknown status {to!r}: use one of {', '.join(TRANSITIONS)}")
    if to == ticket.status:
        return
    if to not in TRANSITIONS[ticket.status]:
        if ticket.status == "closed":
            raise TicketClosed(f"Ticket {ticket.id} is closed; open a new one instead.")
        raise InvalidTransition(f"A {ticket.status} ticket cannot become {to}.")
    previous = ticket.status
    ticket.status = to
    ticket.updated_at = now
    if to == "solved":
        ticket.solved_at = now
    elif to == "closed":
        ticket.closed_at = now
    elif previous == "solved":
        ticket.solved_at = None
    detail: dict[str, Any] = {"from": previous, "to": to}
    if comment:
        detail["comment"] = comment[:500]
    audit.record(session, ticket.id, actor, "status", detail, at=now)


def change_priority(
    session: AsyncSession, ticket: SupportTicket, priority: str, actor: Actor, *, policy: SlaPolicy, now: datetime
) -> None:
    """New priority, new due times (counted from when the ticket opened). Safety stays urgent."""
    if priority not in policy.targets:
        raise _invalid("priority", f"unknown priority {priority!r}: use low, normal, high or urgent")
    if ticket.category == SAFETY_CATEGORY and priority != "urgent":
        raise _invalid("priority", "a safety ticket is always urgent")
    if priority == ticket.priority:
        return
    audit.record(session, ticket.id, actor, "priority", {"from": ticket.priority, "to": priority}, at=now)
    ticket.priority = priority
    ticket.first_response_due_at, ticket.resolution_due_at = policy.due_times(priority, ticket.created_at)
    ticket.expected_response_minutes = policy.targets[priority].first_response_minutes
    ticket.updated_at = now


def add_message(
    session: AsyncSession,
    ticket: SupportTicket,
    *,
    visibility: str,
    actor: Actor,
    text: str,
    now: datetime,
) -> SupportTicketMessage:
    """Add a public reply, an internal note or a system line, with the status moves a reply implies.

    An agent's first public reply is the first response (a new ticket becomes open); a driver's reply to a ticket
    waiting for them (pending) opens it again. Nothing can be added to a closed ticket.
    """
    if visibility not in ("public", "internal", "system"):
        raise _invalid("visibility", "must be public, internal or system")
    if ticket.status == "closed":
        raise TicketClosed(f"Ticket {ticket.id} is closed; open a new one instead.")
    text = text.strip()
    if not text:
        raise _invalid("text", "the message is empty")
    message = SupportTicketMessage(
        ticket_id=ticket.id,
        visibility=visibility,
        author_role=actor.role,
        author_id=actor.id,
        author_name=actor.name[:200],
        text=text[:8000],
        created_at=now,
    )
    session.add(message)
    staff = actor.role in ("agent", "admin")
    if visibility == "public" and staff:
        if ticket.first_responded_at is None:
            ticket.first_responded_at = now
        if ticket.status == "new":
            change_status(session, ticket, "open", actor, now=now)
    elif visibility == "public" and actor.role == "driver" and ticket.status == "pending":
        change_status(session, ticket, "open", actor, now=now)
    action = {"public": "replied", "internal": "noted", "system": "system_message"}[visibility]
    audit.record(session, ticket.id, actor, action, {"length": len(text)}, at=now)
    ticket.updated_at = now
    return message
