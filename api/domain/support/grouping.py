"""One ticket per problem: what the network and station reports open about one charger is grouped by the ticket's
`dedupe_key` while that ticket is active, however many processes receive the reports at once.

`claim` serialises everyone grouping under one key for the rest of the caller's transaction: a transaction-scoped
advisory lock on PostgreSQL; on SQLite a write first, which takes the database's single write lock (a reader
that wrote later could find its snapshot stale). Then `active_ticket` sees every ticket committed before, and
opening a ticket in the same transaction cannot race with another one.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Final

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import SupportTicket
from api.domain.support import audit
from api.domain.support.audit import Actor
from api.domain.support.sla import SlaPolicy
from api.domain.support.workflow import ACTIVE_STATUSES, change_priority

PRIORITY_RANK: Final = {"low": 0, "normal": 1, "high": 2, "urgent": 3}


def _lock_key(dedupe_key: str) -> int:
    """A stable signed 64-bit number for the key (PostgreSQL advisory locks take a bigint)."""
    return int.from_bytes(hashlib.blake2b(dedupe_key.encode(), digest_size=8).digest(), "big", signed=True)


async def claim(session: AsyncSession, dedupe_key: str) -> None:
    """Hold the key until the caller's transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(_lock_key(dedupe_key))))
    else:
        await session.execute(
            update(SupportTicket)
            .where(SupportTicket.dedupe_key == dedupe_key, SupportTicket.status.in_(ACTIVE_STATUSES))
            .values(dedupe_key=SupportTicket.dedupe_key)
            .execution_options(synchronize_session=False)
        )


async def active_ticket(session: AsyncSession, dedupe_key: str) -> SupportTicket | None:
    """The oldest active ticket grouped under the key (claim it first)."""
    return (
        await session.execute(
            select(SupportTicket)
            .where(SupportTicket.dedupe_key == dedupe_key, SupportTicket.status.in_(ACTIVE_STATUSES))
            .order_by(SupportTicket.id)
            .limit(1)
        )
    ).scalar_one_or_none()


def raise_priority(
    session: AsyncSession, ticket: SupportTicket, priority: str, actor: Actor, *, policy: SlaPolicy, now: datetime
) -> bool:
    """Raise the ticket to `priority` when that is more severe (never lowers what an agent set); True if raised."""
    if PRIORITY_RANK[priority] <= PRIORITY_RANK.get(ticket.priority, 0):
        return False
    change_priority(session, ticket, priority, actor, policy=policy, now=now)
    return True


def record_grouped(
    session: AsyncSession, ticket: SupportTicket, actor: Actor, detail: dict[str, object], *, now: datetime
) -> None:
    """The audit row saying another report of the same problem joined this ticket."""
    audit.record(session, ticket.id, actor, "grouped", dict(detail), at=now)
    ticket.updated_at = now
