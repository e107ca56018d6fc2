"""Who did what to a ticket: the actor of a change and the audit-trail row written in the same transaction."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import SupportTicketEvent, User
from api.db.types import utc_now
from api.security.tokens import Principal


class Actor(msgspec.Struct, frozen=True):
    """A person (driver, agent, admin) or the system itself; `name` is what the audit trail and the driver show."""

    id: uuid.UUID | None
    role: str  # driver, agent, admin, assistant, system, network
    name: str


SYSTEM: Final = Actor(None, "system", "Voltway")
ASSISTANT: Final = Actor(None, "assistant", "Voltway assistant")
NETWORK: Final = Actor(None, "network", "Charger network")


async def actor_of(session: AsyncSession, principal: Principal) -> Actor:
    """The signed-in caller as an actor, named as their account is (their email's local part when unnamed)."""
    user = await session.get(User, principal.user_id)
    name = ""
    if user is not None:
        name = user.name.strip() or user.email.partition("@")[0]
    return Actor(principal.user_id, principal.role, name or principal.role)


def record(
    session: AsyncSession,
    ticket_id: int,
    actor: Actor,
    action: str,
    detail: dict[str, Any] | None = None,
    *,
    at: datetime | None = None,
) -> SupportTicketEvent:
    """Add one audit row to the caller's transaction (the change and its record commit together)."""
    event = SupportTicketEvent(
        ticket_id=ticket_id,
        at=at or utc_now(),
        actor_id=actor.id,
        actor_role=actor.role,
        actor_name=actor.name[:200],
        action=action,
        detail=detail or {},
    )
    session.add(event)
    return event
