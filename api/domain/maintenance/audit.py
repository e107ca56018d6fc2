"""The maintenance trail (`maintenance_audit`): every change to a schedule or a work order, by whom and when."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import MaintenanceAudit
from api.domain.maintenance.schemas import AuditView


def record(
    session: AsyncSession,
    action: str,
    *,
    actor_id: uuid.UUID | None,
    at: datetime,
    schedule_id: uuid.UUID | None = None,
    work_order_id: uuid.UUID | None = None,
    **detail: Any,
) -> None:
    """Add an entry to `session`'s transaction: it is kept exactly when the change it describes is."""
    session.add(
        MaintenanceAudit(
            schedule_id=schedule_id,
            work_order_id=work_order_id,
            actor_id=actor_id,
            action=action,
            detail={key: _plain(value) for key, value in detail.items()},
            at=at,
        )
    )


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID | datetime):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


async def entries(
    session: AsyncSession, *, work_order_id: uuid.UUID | None = None, schedule_id: uuid.UUID | None = None
) -> list[AuditView]:
    """Oldest first, as the story of the work order or schedule reads."""
    query = select(MaintenanceAudit).order_by(MaintenanceAudit.at, MaintenanceAudit.id)
    if work_order_id is not None:
        query = query.where(MaintenanceAudit.work_order_id == work_order_id)
    if schedule_id is not None:
        query = query.where(MaintenanceAudit.schedule_id == schedule_id)
    rows = (await session.execute(query)).scalars()
    return [AuditView(at=row.at, actor_id=row.actor_id, action=row.action, detail=row.detail) for row in rows]
