"""The delivery outbox: every message sent to another system (webhooks, OCPI pushes, command callbacks)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text, Uuid, false
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base
from api.db.types import UTCDateTime, utc_now


class OutboundDelivery(Base):
    """One message to one target, retried until the target answers 2xx or the attempts run out.

    `id` is the delivery id the receiver sees on every attempt (X-Voltway-Delivery-Id), so it can de-duplicate.
    `status`: pending, delivered or dead. `target` names a registered target ("support_webhook", later
    "ocpi:<partner>"), whose secret signs the body; `url` is where this message goes, with `method`.

    OCPI pushes name their partner (`ocpi_partner_id`: sent with the partner's token, held while it is suspended)
    and the object they describe (`object_key`): one partner's deliveries for one object go out in the order they
    were enqueued, and a `coalesce` delivery is replaced by a newer one for the same object until it is sent.
    `claimed_until` marks a delivery being sent right now (the claim's lease).
    """

    __tablename__ = "outbound_deliveries"
    __table_args__ = (
        Index("ix_outbound_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_outbound_deliveries_object_key_status", "object_key", "status", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(64), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, index=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    method: Mapped[str] = mapped_column(String(8), default="POST", server_default="POST")
    ocpi_partner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    object_key: Mapped[str | None] = mapped_column(String(255))
    coalesce: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
