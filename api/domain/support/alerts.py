"""Telling people about tickets that cannot wait: a new urgent ticket, and a ticket whose running SLA clock (first
response, or resolution once answered) is about to run out.

Each goes once per ticket to the support webhook (through the delivery outbox, kinds `support.ticket_urgent` and
`support.sla_warning`) and by mail to the agents on duty (every agent and admin when nobody is). A periodic scan
finds them; the ticket's `urgent_notified_at` / `sla_warned_at` is set by a conditional UPDATE in the transaction
that queues the messages, so of several processes scanning at once exactly one sends each.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import MailMessage, SupportTicket, User
from api.db.types import utc_now
from api.deliveries.targets import SUPPORT_WEBHOOK
from api.deliveries.worker import DeliveryWorker
from api.domain.support import audit
from api.domain.support.audit import SYSTEM
from api.domain.support.services import ticket_number
from api.domain.support.sla import SOON
from api.domain.support.workflow import ACTIVE_STATUSES
from api.mail.outbox import MailOutbox
from api.periodic import Periodic

logger = logging.getLogger(__name__)

SCAN_SECONDS: Final = 15.0
URGENT_KIND: Final = "support.ticket_urgent"
SLA_WARNING_KIND: Final = "support.sla_warning"
# A clock already breached this long ago gets no warning (tickets older than the alerts themselves).
STALE: Final = timedelta(days=1)
BATCH: Final = 100


def running_clock(ticket: SupportTicket) -> tuple[str, datetime | None]:
    """The SLA clock that runs now: first response until an agent answered, then resolution."""
    if ticket.first_responded_at is None:
        return "first_response", ticket.first_response_due_at
    return "resolution", ticket.resolution_due_at


def warning_due(ticket: SupportTicket, now: datetime) -> bool:
    """Whether the running clock is about to run out: within SOON of its due time, or within half of the clock
    for clocks shorter than twice SOON (an urgent first response, due 15 minutes after opening, is then warned
    about 7.5 minutes before, not the moment it opens)."""
    _, due = running_clock(ticket)
    if due is None or due < now - STALE:
        return False
    window = min(SOON, (due - ticket.created_at) / 2)
    return due - now <= window


class SupportAlerts:
    """The scan that sends urgent-ticket notices and SLA warnings; `wake` after opening a ticket."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        deliveries: DeliveryWorker,
        mail: MailOutbox,
        base_url: str,
        interval: float = SCAN_SECONDS,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._session_factory = session_factory
        self._deliveries = deliveries
        self._mail = mail
        self._base_url = base_url.rstrip("/")
        self._clock = clock
        self._periodic = Periodic("support-alerts", interval, self.run)

    def start(self) -> None:
        self._periodic.start()

    async def stop(self) -> None:
        await self._periodic.stop()

    def wake(self) -> None:
        self._periodic.wake()

    async def run(self) -> None:
        await self.scan()

    async def scan(self, now: datetime | None = None) -> int:
        """Send what is due at `now` (default: the clock); the number of alerts sent."""
        moment = now or self._clock()
        sent = 0
        async with self._session_factory() as session:
            live = (
                SupportTicket.status.in_(ACTIVE_STATUSES),
                SupportTicket.merged_into_id.is_(None),
            )
            urgent = (
                await session.execute(
                    select(SupportTicket.id)
                    .where(*live, SupportTicket.priority == "urgent", SupportTicket.urgent_notified_at.is_(None))
                    .order_by(SupportTicket.id)
                    .limit(BATCH)
                )
            ).scalars()
            urgent_ids = list(urgent)
            horizon = moment + SOON
            candidates = (
                await session.execute(
                    select(SupportTicket)
                    .where(
                        *live,
                        SupportTicket.sla_warned_at.is_(None),
                        or_(
                            and_(
                                SupportTicket.first_responded_at.is_(None),
                                SupportTicket.first_response_due_at <= horizon,
                            ),
                            and_(
                                SupportTicket.first_responded_at.is_not(None),
                                SupportTicket.resolution_due_at <= horizon,
                            ),
                        ),
                    )
                    .order_by(SupportTicket.id)
                    .limit(BATCH)
                )
            ).scalars()
            warning_ids = [ticket.id for ticket in candidates if warning_due(ticket, moment)]
        for ticket_id in urgent_ids:
            sent += await self._send(ticket_id, URGENT_KIND, moment)
        for ticket_id in warning_ids:
            sent += await self._send(ticket_id, SLA_WARNING_KIND, moment)
        return sent

    async def _send(self, ticket_id: int, kind: str, now: datetime) -> int:
        column = SupportTicket.urgent_notified_at if kind == URGENT_KIND else SupportTicket.sla_warned_at
        async with self._session_factory() as session:
            claimed = await session.execute(
                update(SupportTicket)
                .where(SupportTicket.id == ticket_id, column.is_(None))
                .values({column.key: now})
                .execution_options(synchronize_session=False)
            )
            if getattr(claimed, "rowcount", 0) != 1:
                await session.rollback()
                return 0  # another process sent it
            ticket = (await session.execute(select(SupportTicket).where(SupportTicket.id == ticket_id))).scalar_one()
            payload = self.payload(ticket, kind)
            webhook = self._deliveries.targets.get(SUPPORT_WEBHOOK) is not None
            if webhook:
                self._deliveries.enqueue(session, kind, SUPPORT_WEBHOOK, None, payload)
            mails = await self._queue_mails(session, ticket, kind, payload)
            audit.record(
                session,
                ticket_id,
                SYSTEM,
                "urgent_notified" if kind == URGENT_KIND else "sla_warned",
                {"webhook": webhook, "mailed": len(mails), "clock": payload["clock"], "dueAt": payload["dueAt"]},
                at=now,
            )
            await session.commit()
            for mail in mails:
                self._mail.deliver_later(self._session_factory, mail.id)
        logger.info("support alert %s sent", kind, extra={"ticket_id": ticket_id, "mailed": len(mails)})
        return 1

    def payload(self, ticket: SupportTicket, kind: str) -> dict[str, Any]:
        """The webhook body (camelCase JSON)."""
        clock, due = running_clock(ticket)
        return {
            "event": kind,
            "ticketId": ticket.id,
            "number": ticket_number(ticket.id),
            "status": ticket.status,
            "priority": ticket.priority,
            "category": ticket.category,
            "summary": ticket.summary,
            "chargerId": ticket.charger_id,
            "createdAt": ticket.created_at.isoformat(),
            "clock": clock,
            "dueAt": due.isoformat() if due is not None else None,
            "link": f"{self._base_url}/console/tickets/{ticket.id}",
        }

    async def _queue_mails(
        self, session: AsyncSession, ticket: SupportTicket, kind: str, payload: dict[str, Any]
    ) -> list[MailMessage]:
        staff = (User.role.in_(("agent", "admin")), User.erased_at.is_(None))
        recipients = list(
            (await session.execute(select(User.id, User.email).where(*staff, User.on_duty.is_(True)))).all()
        )
        if not recipients:
            recipients = list((await session.execute(select(User.id, User.email).where(*staff))).all())
        number = payload["number"]
        _, due_at = running_clock(ticket)
        due = f"{due_at:%Y-%m-%d %H:%M} UTC" if due_at is not None else "none"
        if kind == URGENT_KIND:
            subject = f"Urgent ticket {number}: {ticket.summary}"[:300]
            opening = f"An urgent ticket was opened ({ticket.category})."
        else:
            clock = "first response" if payload["clock"] == "first_response" else "resolution"
            subject = f"SLA warning {number}: {clock} due {due}"[:300]
            opening = f"The {clock} of this {ticket.priority} ticket is due at {due}."
        body = (
            f"{opening}\n\n{number} [{ticket.priority}, {ticket.status}] {ticket.summary}\n"
            f"Category: {ticket.category}\nCharger: {ticket.charger_id or '-'}\nDue: {due}\n\n{payload['link']}\n"
        )
        return [
            self._mail.queue(
                session, to=email, subject=subject, body=body, user_id=user_id, kind=kind.replace(".", "_")[:32]
            )
            for user_id, email in recipients
        ]
