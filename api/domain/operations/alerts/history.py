"""An alert's audit trail and the views built from its row: every change writes an event in the transaction that
made it."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import User
from api.db.models.operation_alerts import OperationAlert, OperationAlertEvent
from api.domain.operations.alerts.schemas import AlertDetail, AlertEventView, AlertSummary

SYSTEM_NAME: Final = "Voltway"


class Actor(msgspec.Struct, frozen=True):
    """Who changed an alert: a signed-in operator or admin, or the engine itself (id None)."""

    id: uuid.UUID | None
    name: str


SYSTEM: Final = Actor(None, SYSTEM_NAME)


def record(
    session: AsyncSession,
    alert: OperationAlert,
    kind: str,
    at: datetime,
    detail: dict[str, Any] | None = None,
    actor: Actor = SYSTEM,
) -> None:
    session.add(
        OperationAlertEvent(
            alert_id=alert.id, kind=kind, at=at, actor_id=actor.id, actor_name=actor.name, detail=detail or {}
        )
    )
    alert.updated_at = at


async def names_of(session: AsyncSession, user_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    wanted = {user_id for user_id in user_ids if user_id is not None}
    if not wanted:
        return {}
    rows = await session.execute(select(User.id, User.name, User.email).where(User.id.in_(wanted)))
    return {user_id: (name or "").strip() or email.partition("@")[0] for user_id, name, email in rows}


def summary_of(alert: OperationAlert, names: dict[uuid.UUID, str]) -> AlertSummary:
    return AlertSummary(
        id=alert.id,
        rule=alert.rule,
        title=alert.title,
        severity=alert.severity,
        state=alert.state,
        charger_id=alert.charger_id,
        connector_id=alert.connector_id,
        location_id=alert.location_id,
        detail={str(key): str(value) for key, value in (alert.detail or {}).items()},
        occurrences=alert.occurrences,
        condition_active=alert.condition_active,
        opened_at=alert.opened_at,
        last_seen_at=alert.last_seen_at,
        acknowledged_at=alert.acknowledged_at,
        assigned_to=alert.assigned_to,
        assignee_name=names.get(alert.assigned_to) if alert.assigned_to else None,
        resolved_at=alert.resolved_at,
        auto_resolved=alert.auto_resolved,
        escalated_at=alert.escalated_at,
        ticket_id=alert.ticket_id,
    )


async def summaries(session: AsyncSession, alerts: list[OperationAlert]) -> list[AlertSummary]:
    names = await names_of(session, (alert.assigned_to for alert in alerts))
    return [summary_of(alert, names) for alert in alerts]


async def detail_of(session: AsyncSession, alert: OperationAlert) -> AlertDetail:
    events = (
        await session.execute(
            select(OperationAlertEvent)
            .where(OperationAlertEvent.alert_id == alert.id)
            .order_by(OperationAlertEvent.at, OperationAlertEvent.id)
        )
    ).scalars()
    history = [AlertEventView(kind=e.kind, at=e.at, actor=e.actor_name, detail=dict(e.detail or {})) for e in events]
    (summary,) = await summaries(session, [alert])
    return AlertDetail(alert=summary, resolution_note=alert.resolution_note, history=history)
