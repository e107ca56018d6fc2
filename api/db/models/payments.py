"""What Voltway keeps about payments: links to the provider's customers and the webhook events it received.

Card data never reaches these tables: a customer link holds the provider's references only, and a webhook event
keeps a short summary (ids, amounts, statuses), not the payload.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base
from api.db.types import UTCDateTime, utc_now


class PaymentCustomer(Base):
    """A driver's customer at the payment provider (Stripe `cus_...`), made the first time it is needed.

    Erasing the account deletes this link; the payments themselves stay with the provider and in session records.
    """

    __tablename__ = "payment_customers"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    customer_reference: Mapped[str] = mapped_column(String(255), unique=True)
    default_payment_method: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, onupdate=utc_now)


class PaymentWebhookEvent(Base):
    """A verified provider event; its id as primary key is what makes a redelivered event count once."""

    __tablename__ = "payment_webhook_events"

    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(80), index=True)
    reference: Mapped[str | None] = mapped_column(String(255), index=True)
    amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
