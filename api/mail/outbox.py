"""Queueing mail in the same transaction as the change that causes it, then delivering it."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import MailMessage
from api.db.types import utc_now
from api.mail.smtp import SmtpTarget, parse_smtp_url, send_message

logger = logging.getLogger(__name__)


class MailOutbox:
    """Every message is first a row; with SMTP configured it is then sent and marked sent or failed."""

    def __init__(self, smtp_url: str, sender: str, per_address_per_hour: int = 0) -> None:
        self._target: SmtpTarget | None = parse_smtp_url(smtp_url) if smtp_url else None
        self._sender = sender
        self.per_address_per_hour = per_address_per_hour
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def delivers(self) -> bool:
        return self._target is not None

    def queue(
        self,
        session: AsyncSession,
        *,
        to: str,
        subject: str,
        body: str,
        user_id: uuid.UUID | None,
        kind: str | None = None,
    ) -> MailMessage:
        """Add a message to the caller's transaction; call `deliver_later` after the commit."""
        message = MailMessage(id=uuid.uuid4(), user_id=user_id, to_address=to, subject=subject, body=body, kind=kind)
        session.add(message)
        return message

    async def may_send(self, session: AsyncSession, *, to: str, kind: str, now: datetime) -> bool:
        """False once `to` had `per_address_per_hour` mails of this kind in the last hour (0: no limit).

        Counted from the outbox itself, so every process sharing the database keeps the same limit.
        """
        if self.per_address_per_hour <= 0:
            return True
        sent = await session.scalar(
            select(func.count())
            .select_from(MailMessage)
            .where(
                MailMessage.to_address == to,
                MailMessage.kind == kind,
                MailMessage.created_at > now - timedelta(hours=1),
            )
        )
        if (sent or 0) < self.per_address_per_hour:
            return True
        logger.info("mail not sent: hourly limit for this address reached", extra={"mail_kind": kind})
        return False

    def deliver_later(self, session_factory: async_sessionmaker[AsyncSession], message_id: uuid.UUID) -> None:
        """Send in the background so the request that queued the mail does not wait for SMTP."""
        if self._target is None:
            logger.info("mail kept in the outbox (no SMTP configured)", extra={"mail_id": str(message_id)})
            return
        task = asyncio.create_task(self._deliver(session_factory, message_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, session_factory: async_sessionmaker[AsyncSession], message_id: uuid.UUID) -> None:
        target = self._target
        if target is None:
            return
        async with session_factory() as session:
            message = (await session.execute(select(MailMessage).where(MailMessage.id == message_id))).scalar_one()
            to, subject, body = message.to_address, message.subject, message.body
        status, error = "sent", None
        try:
            await asyncio.to_thread(send_message, target, self._sender, to, subject, body)
        except (OSError, ValueError) as exc:
            status, error = "failed", f"{type(exc).__name__}: {exc}"
            logger.warning("mail delivery failed", extra={"mail_id": str(message_id), "error": error})
        async with session_factory() as session:
            await session.execute(
                update(MailMessage)
                .where(MailMessage.id == message_id)
                .values(status=status, last_error=error, sent_at=utc_now() if status == "sent" else None)
            )
            await session.commit()

    async def drain(self) -> None:
        """Wait for deliveries in flight (on shutdown and in tests)."""
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
