"""Outcomes of payment attempts (pre-authorisations and captures), kept two days for the payment failure rate."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base
from api.db.types import UTCDateTime, utc_now


class PaymentAttempt(Base):
    """One call that tried to move money: `outcome` ok, declined (a refused hold), error (the provider failed or
    refused the request) or debt (a capture that could not take everything due)."""

    __tablename__ = "payment_attempts"
    __table_args__ = (Index("ix_payment_attempts_at", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    operation: Mapped[str] = mapped_column(String(16))  # authorize | settle
    outcome: Mapped[str] = mapped_column(String(16))
