"""Money given back on a charging session after it was billed: refunds through the payment provider, and
adjustments of a bill paid outside the app."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base
from api.db.types import UTCDateTime, utc_now


class SessionAdjustment(Base):
    """One refund or adjustment of a session, issued by an agent from a ticket.

    `kind`: refund (money returned through the provider, `provider_reference` its id) or adjustment (the bill is
    lowered; nothing moves through a provider). `status`: pending (asked of the provider), succeeded, failed.
    `amount` is decimal text in major units (`amount_minor` the same in minor units). `idempotency_key` makes a
    retried request the same refund; `request_hash` is what was asked with it.
    """

    __tablename__ = "session_adjustments"
    __table_args__ = (Index("ix_session_adjustments_session_created", "session_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("charging_sessions.id", ondelete="CASCADE"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("support_tickets.id", ondelete="SET NULL"), index=True)
    amount: Mapped[str] = mapped_column(String(32))
    amount_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(12))  # refund | adjustment
    reason_code: Mapped[str] = mapped_column(String(24))
    comment: Mapped[str | None] = mapped_column(String(1000))
    provider_reference: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
