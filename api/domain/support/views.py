"""Tickets as agents and drivers see them: summaries for the queue, the full detail, a driver's own view."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import SupportTicket, SupportTicketEvent, SupportTicketMessage, User
from api.domain.support.schemas import (
    DriverRef,
    MyTicket,
    MyTicketMessage,
    PersonRef,
    RatingView,
    TicketDetail,
    TicketEventView,
    TicketMessageView,
    TicketSummary,
    TranscriptItem,
)
from api.domain.support.services import ticket_number
from api.domain.support.sla import sla_state

DRIVER_VISIBLE = ("public", "system")


def running_sla_state(ticket: SupportTicket, now: datetime) -> str:
    """The clock that runs now: first response until an agent answered, then resolution (met or breached once
    solved)."""
    if ticket.status in ("solved", "closed"):
        done = ticket.solved_at or ticket.closed_at or now
        return sla_state(ticket.resolution_due_at, done, now)
    if ticket.first_responded_at is None:
        return sla_state(ticket.first_response_due_at, None, now)
    return sla_state(ticket.resolution_due_at, None, now)


def display_name(user: User) -> str:
    return user.name.strip() or user.email.partition("@")[0]


async def users_of(session: AsyncSession, tickets: Iterable[SupportTicket]) -> dict[uuid.UUID, User]:
    """The drivers and assignees the tickets name, in one query."""
    ids = {i for t in tickets for i in (t.user_id, t.assignee_id) if i is not None}
    if not ids:
        return {}
    rows = (await session.execute(select(User).where(User.id.in_(ids)))).scalars().all()
    return {user.id: user for user in rows}


def summary_of(ticket: SupportTicket, users: dict[uuid.UUID, User], now: datetime) -> TicketSummary:
    driver = users.get(ticket.user_id) if ticket.user_id is not None else None
    assignee = users.get(ticket.assignee_id) if ticket.assignee_id is not None else None
    return TicketSummary(
        id=ticket.id,
        number=ticket_number(ticket.id),
        status=ticket.status,
        priority=ticket.priority,
        category=ticket.category,
        source=ticket.source,
        summary=ticket.summary,
        language=ticket.language,
        tags=list(ticket.tags or []),
        charger_id=ticket.charger_id,
        driver=DriverRef(id=driver.id, name=display_name(driver), email=driver.email) if driver else None,
        assignee=PersonRef(id=assignee.id, name=display_name(assignee)) if assignee else None,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        first_response_due_at=ticket.first_response_due_at,
        resolution_due_at=ticket.resolution_due_at,
        sla_state=running_sla_state(ticket, now),  # type: ignore[arg-type]
        merged_into_id=ticket.merged_into_id,
    )


async def summary(session: AsyncSession, ticket: SupportTicket, now: datetime) -> TicketSummary:
    return summary_of(ticket, await users_of(session, [ticket]), now)


def rating_of(ticket: SupportTicket) -> RatingView | None:
    if ticket.rating is None:
        return None
    return RatingView(score=ticket.rating, comment=ticket.rating_comment, at=ticket.rated_at)


async def messages_of(
    session: AsyncSession, ticket_ids: Sequence[int], visibilities: Sequence[str] | None = None
) -> list[SupportTicketMessage]:
    query = select(SupportTicketMessage).where(SupportTicketMessage.ticket_id.in_(ticket_ids))
    if visibilities is not None:
        query = query.where(SupportTicketMessage.visibility.in_(visibilities))
    query = query.order_by(SupportTicketMessage.created_at, SupportTicketMessage.id)
    return list((await session.execute(query)).scalars().all())


async def detail(session: AsyncSession, ticket: SupportTicket, now: datetime) -> TicketDetail:
    base = await summary(session, ticket, now)
    messages = await messages_of(session, [ticket.id])
    events = (
        (
            await session.execute(
                select(SupportTicketEvent)
                .where(SupportTicketEvent.ticket_id == ticket.id)
                .order_by(SupportTicketEvent.at, SupportTicketEvent.id)
            )
        )
        .scalars()
        .all()
    )
    transcript = []
    for line in ticket.transcript or []:
        if isinstance(line, dict) and isinstance(line.get("text"), str):
            at = line.get("at")
            transcript.append(
                TranscriptItem(
                    role=str(line.get("role", "driver")),
                    text=line["text"],
                    at=datetime.fromisoformat(at) if isinstance(at, str) else None,
                )
            )
    return TicketDetail(
        **{field: getattr(base, field) for field in base.__struct_fields__},
        conversation_id=ticket.conversation_id,
        session_id=ticket.session_id,
        location_id=ticket.location_id,
        evse_id=ticket.evse_id,
        transcript=transcript,
        diagnostics=ticket.diagnostics or {},
        actions_tried=list(ticket.actions_tried or []),
        messages=[
            TicketMessageView(
                id=m.id,
                visibility=m.visibility,
                author_role=m.author_role,
                author_name=m.author_name,
                text=m.text,
                created_at=m.created_at,
            )
            for m in messages
        ],
        events=[
            TicketEventView(at=e.at, actor_role=e.actor_role, actor_name=e.actor_name, action=e.action, detail=e.detail)
            for e in events
        ],
        rating=rating_of(ticket),
        first_responded_at=ticket.first_responded_at,
        solved_at=ticket.solved_at,
        closed_at=ticket.closed_at,
    )


def reopen_until(ticket: SupportTicket, reopen_days: int) -> datetime | None:
    """Until when the driver may reopen a solved ticket (None when it is not solved)."""
    if ticket.status != "solved" or ticket.solved_at is None:
        return None
    return ticket.solved_at + timedelta(days=reopen_days)


def my_ticket(
    ticket: SupportTicket, messages: Sequence[SupportTicketMessage], *, reopen_days: int, now: datetime
) -> MyTicket:
    until = reopen_until(ticket, reopen_days)
    return MyTicket(
        id=ticket.id,
        number=ticket_number(ticket.id),
        status=ticket.status,
        category=ticket.category,
        summary=ticket.summary,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        messages=[
            MyTicketMessage(
                id=m.id,
                visibility=m.visibility,
                author_role=m.author_role,
                author_name=m.author_name,
                text=m.text,
                created_at=m.created_at,
            )
            for m in messages
            if m.visibility in DRIVER_VISIBLE
        ],
        rating=rating_of(ticket),
        can_rate=ticket.status in ("solved", "closed") and ticket.rating is None and ticket.merged_into_id is None,
        can_reopen=until is not None and now <= until,
        reopen_until=until,
    )
