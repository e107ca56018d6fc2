"""Solved tickets close by themselves after VOLTWAY_SUPPORT_AUTO_CLOSE_DAYS, audited as the system.

Every process runs it; a conditional update closes each ticket exactly once, so only the process that closed it
writes the audit row and tells the feeds.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import SupportTicket
from api.db.types import utc_now
from api.domain.support import audit
from api.domain.support.driver_chat import status_event
from api.domain.support.feed import TicketFeed
from api.domain.support.publishing import Pending

BATCH: Final = 200
INTERVAL_SECONDS: Final = 300.0


async def close_solved(
    session_factory: async_sessionmaker[AsyncSession],
    feed: TicketFeed | None,
    *,
    days: int,
    now: datetime | None = None,
) -> list[int]:
    """Close the tickets solved more than `days` ago; answers the ids this call closed."""
    now = now or utc_now()
    cutoff = now - timedelta(days=days)
    closed: list[int] = []
    async with session_factory() as session:
        while True:
            due = list(
                (
                    await session.execute(
                        select(SupportTicket.id)
                        .where(SupportTicket.status == "solved", SupportTicket.solved_at <= cutoff)
                        .order_by(SupportTicket.id)
                        .limit(BATCH)
                    )
                ).scalars()
            )
            if not due:
                break
            pending = Pending()
            for ticket_id in due:
                done = await session.execute(
                    update(SupportTicket)
                    .where(SupportTicket.id == ticket_id, SupportTicket.status == "solved")
                    .values(status="closed", closed_at=now, updated_at=now)
                )
                if getattr(done, "rowcount", 0) != 1:
                    continue  # another process closed it, or the driver reopened it meanwhile
                audit.record(
                    session, ticket_id, audit.SYSTEM, "status", {"from": "solved", "to": "closed", "auto": True}, at=now
                )
                closed.append(ticket_id)
            await session.commit()
            for ticket in (await session.execute(select(SupportTicket).where(SupportTicket.id.in_(due)))).scalars():
                await session.refresh(ticket)
                if ticket.id in closed:
                    pending.ticket(ticket)
                    pending.conversation(ticket.conversation_id, "ticket_status", status_event(ticket, now))
            await pending.publish(session, feed, now)
            if len(due) < BATCH:
                break
    return closed
