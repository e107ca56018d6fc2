"""The agents' queue: tickets filtered and ordered by what needs a person first, paged with an opaque cursor.

Order: priority (urgent first), then the due time of the clock running now (first response until answered, then
resolution; tickets without one last), then id. The cursor is that sort key of the last ticket of a page, so a
page never repeats or skips a ticket while others change.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final

import msgspec
from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import SupportTicket
from api.db.types import UTCDateTime
from api.domain.support.schemas import QueuePage
from api.domain.support.sla import SOON
from api.domain.support.views import summary_of, users_of
from api.domain.support.workflow import ACTIVE_STATUSES, TRANSITIONS
from api.errors import FieldError, InvalidInput

PRIORITY_RANK: Final = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
NO_DUE: Final = datetime(9999, 12, 31, tzinfo=UTC)  # sorts tickets without a due time last


class QueueFilter(msgspec.Struct, frozen=True, kw_only=True):
    statuses: tuple[str, ...] = ACTIVE_STATUSES
    priorities: tuple[str, ...] = ()
    assignee: str | None = None  # me | none | a uuid
    category: str | None = None
    charger: str | None = None
    sla: str | None = None  # breached | soon
    q: str | None = None


class _Cursor(msgspec.Struct, frozen=True, array_like=True):
    rank: int
    due: datetime
    id: int


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput([FieldError(field, message, source="query")])


def split_values(values: Sequence[str] | None) -> tuple[str, ...]:
    """Repeated parameters and comma lists alike: `?status=new&status=open` or `?status=new,open`."""
    return tuple(part.strip() for value in values or () for part in value.split(",") if part.strip())


def build_filter(
    *,
    status: Sequence[str] | None,
    priority: Sequence[str] | None,
    assignee: str | None,
    category: str | None,
    charger: str | None,
    sla: str | None,
    q: str | None,
) -> QueueFilter:
    statuses = split_values(status) or ACTIVE_STATUSES
    unknown = [s for s in statuses if s not in TRANSITIONS]
    if unknown:
        raise _invalid("status", f"unknown status {unknown[0]!r}: use {', '.join(TRANSITIONS)}")
    priorities = split_values(priority)
    if any(p not in PRIORITY_RANK for p in priorities):
        raise _invalid("priority", "use low, normal, high or urgent")
    if assignee is not None and assignee not in ("me", "none"):
        try:
            uuid.UUID(assignee)
        except ValueError:
            raise _invalid("assignee", "use me, none or an account id") from None
    if sla is not None and sla not in ("breached", "soon"):
        raise _invalid("sla", "use breached or soon")
    return QueueFilter(
        statuses=statuses,
        priorities=priorities,
        assignee=assignee,
        category=category or None,
        charger=charger or None,
        sla=sla,
        q=(q or "").strip() or None,
    )


def encode_cursor(ticket: SupportTicket) -> str:
    key = _Cursor(PRIORITY_RANK.get(ticket.priority, 9), _running_due(ticket) or NO_DUE, ticket.id)
    return base64.urlsafe_b64encode(msgspec.json.encode(key)).decode().rstrip("=")


def decode_cursor(cursor: str) -> _Cursor:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return msgspec.json.decode(raw, type=_Cursor)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise _invalid("cursor", "not a cursor this queue gave out; start again without one") from None


def _running_due(ticket: SupportTicket) -> datetime | None:
    return ticket.first_response_due_at if ticket.first_responded_at is None else ticket.resolution_due_at


def _rank() -> Any:
    return case(*((SupportTicket.priority == p, r) for p, r in PRIORITY_RANK.items()), else_=9)


def _due() -> Any:
    running = case(
        (SupportTicket.first_responded_at.is_(None), SupportTicket.first_response_due_at),
        else_=SupportTicket.resolution_due_at,
    )
    return func.coalesce(running, literal(NO_DUE, UTCDateTime))


async def queue_page(
    session: AsyncSession,
    flt: QueueFilter,
    *,
    me: uuid.UUID,
    cursor: str | None,
    limit: int,
    now: datetime,
) -> QueuePage:
    rank, due = _rank(), _due()
    query = select(SupportTicket).where(SupportTicket.status.in_(flt.statuses))
    if flt.priorities:
        query = query.where(SupportTicket.priority.in_(flt.priorities))
    if flt.assignee == "me":
        query = query.where(SupportTicket.assignee_id == me)
    elif flt.assignee == "none":
        query = query.where(SupportTicket.assignee_id.is_(None))
    elif flt.assignee is not None:
        query = query.where(SupportTicket.assignee_id == uuid.UUID(flt.assignee))
    if flt.category:
        query = query.where(SupportTicket.category == flt.category)
    if flt.charger:
        query = query.where(SupportTicket.charger_id == flt.charger)
    if flt.q:
        escaped = flt.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(func.lower(SupportTicket.summary).like(f"%{escaped}%", escape="\\"))
    if flt.sla is not None:
        # Only a running clock can be breached or due soon: solved and closed tickets have stopped theirs.
        query = query.where(SupportTicket.status.in_(ACTIVE_STATUSES), due < literal(NO_DUE, UTCDateTime))
        if flt.sla == "breached":
            query = query.where(due <= literal(now, UTCDateTime))
        else:
            query = query.where(due > literal(now, UTCDateTime), due <= literal(now + SOON, UTCDateTime))
    if cursor:
        after = decode_cursor(cursor)
        after_due = literal(after.due, UTCDateTime)
        query = query.where(
            or_(
                rank > after.rank,
                and_(rank == after.rank, due > after_due),
                and_(rank == after.rank, due == after_due, SupportTicket.id > after.id),
            )
        )
    rows = list((await session.execute(query.order_by(rank, due, SupportTicket.id).limit(limit + 1))).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    users = await users_of(session, rows)
    return QueuePage(
        items=[summary_of(t, users, now) for t in rows],
        next_cursor=encode_cursor(rows[-1]) if more and rows else None,
    )
