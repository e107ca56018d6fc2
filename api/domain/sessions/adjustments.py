"""What was given back on billed sessions (refunds and adjustments issued by support) and what the driver paid in
the end: the receipt and the CSV export show both."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import SessionAdjustment
from api.domain.sessions.schemas import ReceiptAdjustment

# what counts against the bill: done, or asked of the provider and not refused
APPLIED: Final = ("succeeded", "pending", "recorded")


async def adjustments_of(
    session: AsyncSession, session_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[SessionAdjustment]]:
    """The applied refunds and adjustments of each session, oldest first."""
    found: dict[uuid.UUID, list[SessionAdjustment]] = {}
    if not session_ids:
        return found
    rows = (
        await session.execute(
            select(SessionAdjustment)
            .where(SessionAdjustment.session_id.in_(list(session_ids)), SessionAdjustment.status.in_(APPLIED))
            .order_by(SessionAdjustment.created_at, SessionAdjustment.id)
        )
    ).scalars()
    for row in rows:
        found.setdefault(row.session_id, []).append(row)
    return found


def receipt_adjustments(rows: Sequence[SessionAdjustment]) -> list[ReceiptAdjustment]:
    return [
        ReceiptAdjustment(
            kind=row.kind,
            amount=Decimal(row.amount),
            reason_code=row.reason_code,
            status=row.status,
            created_at=row.created_at,
        )
        for row in rows
    ]


def given_back(rows: Sequence[SessionAdjustment]) -> Decimal:
    """The total of the applied refunds and adjustments."""
    return sum((Decimal(row.amount) for row in rows), Decimal(0))
