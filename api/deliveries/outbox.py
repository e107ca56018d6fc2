"""Adding a delivery to the caller's transaction, so a delivery exists if and only if its cause committed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import OutboundDelivery
from api.db.types import utc_now


def enqueue(
    db_session: AsyncSession,
    kind: str,
    target: str,
    url: str,
    payload: dict[str, Any],
    *,
    now: datetime | None = None,
) -> OutboundDelivery:
    """Add one pending delivery (due at once) to the caller's transaction; the caller commits."""
    moment = now or utc_now()
    delivery = OutboundDelivery(
        id=uuid.uuid4(),
        kind=kind,
        target=target,
        url=url,
        payload=payload,
        status="pending",
        attempts=0,
        next_attempt_at=moment,
        created_at=moment,
    )
    db_session.add(delivery)
    return delivery
