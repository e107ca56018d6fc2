"""`voltway deliveries`: what the outbox holds, and sending a dead or waiting delivery again."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update

from api.db.models import OutboundDelivery
from api.db.types import utc_now
from api.services import open_services
from api.settings import Settings


class DeliveryCommandError(Exception):
    """A readable failure of a deliveries command."""


async def list_deliveries(settings: Settings, *, status: str | None, limit: int) -> str:
    async with open_services(settings) as services, services.session_factory() as session:
        query = select(OutboundDelivery).order_by(OutboundDelivery.created_at.desc()).limit(max(1, limit))
        if status:
            query = query.where(OutboundDelivery.status == status)
        rows = list((await session.execute(query)).scalars())
    if not rows:
        return "no deliveries\n"
    lines = []
    for row in reversed(rows):
        due = f" next {row.next_attempt_at:%Y-%m-%d %H:%M:%S}" if row.status == "pending" else ""
        error = f"  last error: {row.last_error}" if row.last_error and row.status != "delivered" else ""
        lines.append(
            f"{row.id}  {row.created_at:%Y-%m-%d %H:%M:%S}  {row.status:<9} {row.kind}  -> {row.target} "
            f"({row.attempts} attempts){due}{error}"
        )
    return "\n".join(lines) + "\n"


async def retry_delivery(settings: Settings, delivery_id: str) -> str:
    """A dead (or waiting) delivery becomes due now with a fresh set of attempts; the server sends it."""
    try:
        key = uuid.UUID(delivery_id)
    except ValueError:
        raise DeliveryCommandError(f"{delivery_id!r} is not a delivery id (a UUID)") from None
    async with open_services(settings) as services, services.session_factory() as session:
        result = await session.execute(
            update(OutboundDelivery)
            .where(OutboundDelivery.id == key, OutboundDelivery.status != "delivered")
            .values(status="pending", attempts=0, next_attempt_at=utc_now())
        )
        await session.commit()
        if getattr(result, "rowcount", 0) != 1:
            exists = await session.scalar(select(OutboundDelivery.status).where(OutboundDelivery.id == key))
            if exists is None:
                raise DeliveryCommandError(f"no delivery {key}")
            raise DeliveryCommandError(f"delivery {key} was already delivered")
    return f"delivery {key} is due again; a running server sends it within seconds\n"
