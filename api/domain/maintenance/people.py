"""Who may be given maintenance work: operators and admins with an account that is not erased."""

from __future__ import annotations

import uuid
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import SupportTicket, User
from api.errors import FieldError, InvalidInput

ASSIGNABLE_ROLES: Final = frozenset({"operator", "admin"})


async def check_assignee(session: AsyncSession, user_id: uuid.UUID | None, field: str = "assigneeId") -> None:
    """422 unless `user_id` (when given) is an operator or an admin."""
    if user_id is None:
        return
    row = (await session.execute(select(User.role, User.erased_at).where(User.id == user_id))).one_or_none()
    if row is None or row.erased_at is not None or row.role not in ASSIGNABLE_ROLES:
        raise InvalidInput([FieldError(field, "assign the work to an operator or an admin")])


async def check_tickets(session: AsyncSession, ticket_ids: list[int]) -> list[int]:
    """The ticket ids, once each, in the order given; 422 naming the first that does not exist."""
    unique = list(dict.fromkeys(ticket_ids))
    if not unique:
        return []
    found = set((await session.execute(select(SupportTicket.id).where(SupportTicket.id.in_(unique)))).scalars())
    for ticket_id in unique:
        if ticket_id not in found:
            raise InvalidInput([FieldError("ticketIds", f"no support ticket {ticket_id}")])
    return unique
