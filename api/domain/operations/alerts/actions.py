"""What operators do to an alert by hand: acknowledge it, assign it to an operator or admin, resolve it with a note;
and the scoped reads of the console (an alert outside the reader's sites is not there for them)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Final

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Location, User
from api.db.models.operation_alerts import OperationAlert
from api.domain.operations.alerts import history
from api.domain.operations.alerts.engine import LIVE_STATES, AlertEngine, Changes, claim
from api.domain.operations.alerts.history import Actor
from api.domain.operations.alerts.schemas import AlertDetail, AlertPage
from api.domain.operations.scope import SiteScope
from api.errors import Conflict, FieldError, InvalidInput, NotFound

SEVERITY_RANK: Final = {"critical": 0, "major": 1, "minor": 2, "info": 3}
ASSIGNABLE_ROLES: Final = ("operator", "admin")


async def actor_of(session: AsyncSession, user_id: uuid.UUID) -> Actor:
    names = await history.names_of(session, [user_id])
    return Actor(user_id, names.get(user_id, "operator"))


async def visible_alert(session: AsyncSession, scope: SiteScope, alert_id: uuid.UUID) -> OperationAlert:
    """The alert, if the reader's scope holds its site (404 otherwise: it is not there for them)."""
    alert = await session.get(OperationAlert, alert_id)
    if alert is None or alert.state == "pending" or not _allowed(scope, alert.location_id):
        raise NotFound("No such alert.")
    return alert


def _allowed(scope: SiteScope, location_id: uuid.UUID | None) -> bool:
    return scope.everything or (location_id is not None and scope.allows(location_id))


async def list_alerts(
    session: AsyncSession,
    scope: SiteScope,
    *,
    states: Sequence[str],
    severities: Sequence[str] = (),
    rules: Sequence[str] = (),
    charger: str | None = None,
    location_id: uuid.UUID | None = None,
    region_id: uuid.UUID | None = None,
    limit: int = 50,
    offset: int = 0,
) -> AlertPage:
    """Most severe first, then the newest."""
    where = [OperationAlert.state.in_(states), scope.where(OperationAlert.location_id)]
    if severities:
        where.append(OperationAlert.severity.in_(severities))
    if rules:
        where.append(OperationAlert.rule.in_(rules))
    if charger:
        where.append(OperationAlert.charger_id == charger)
    if location_id is not None:
        where.append(OperationAlert.location_id == location_id)
    if region_id is not None:
        where.append(OperationAlert.location_id.in_(select(Location.id).where(Location.region_id == region_id)))
    total = int(await session.scalar(select(func.count()).select_from(OperationAlert).where(*where)) or 0)
    rank = case(SEVERITY_RANK, value=OperationAlert.severity, else_=9)
    rows = list(
        (
            await session.execute(
                select(OperationAlert)
                .where(*where)
                .order_by(rank, OperationAlert.opened_at.desc(), OperationAlert.id)
                .limit(limit)
                .offset(offset)
            )
        ).scalars()
    )
    return AlertPage(items=await history.summaries(session, rows), total=total)


async def _live(session: AsyncSession, scope: SiteScope, alert_id: uuid.UUID) -> OperationAlert:
    alert = await visible_alert(session, scope, alert_id)
    if alert.live_key is not None:
        await claim(session, alert.live_key)
        await session.refresh(alert)
    if alert.state not in LIVE_STATES:
        raise Conflict("This alert is resolved already.")
    return alert


async def acknowledge(
    engine: AlertEngine, session: AsyncSession, scope: SiteScope, alert_id: uuid.UUID, by: uuid.UUID, now: datetime
) -> AlertDetail:
    alert = await _live(session, scope, alert_id)
    changes = Changes()
    if alert.state == "open":
        actor = await actor_of(session, by)
        alert.state = "acknowledged"
        alert.acknowledged_at = now
        alert.acknowledged_by = by
        history.record(session, alert, "acknowledged", now, {}, actor)
        changes.alert(alert)
    await session.commit()
    await engine.announce(session, changes)
    return await history.detail_of(session, alert)


async def assign(
    engine: AlertEngine,
    session: AsyncSession,
    scope: SiteScope,
    alert_id: uuid.UUID,
    assignee_id: uuid.UUID | None,
    by: uuid.UUID,
    now: datetime,
) -> AlertDetail:
    alert = await _live(session, scope, alert_id)
    if assignee_id is not None:
        assignee = await session.get(User, assignee_id)
        if assignee is None or assignee.erased_at is not None or assignee.role not in ASSIGNABLE_ROLES:
            raise InvalidInput(
                [FieldError(field="assigneeId", message="must be an operator or admin account")],
                "An alert can be assigned to an operator or an admin.",
            )
    actor = await actor_of(session, by)
    alert.assigned_to = assignee_id
    names = await history.names_of(session, [assignee_id])
    detail = {
        "assigneeId": str(assignee_id) if assignee_id else None,
        "assignee": names.get(assignee_id) if assignee_id else None,
    }
    history.record(session, alert, "assigned", now, detail, actor)
    changes = Changes()
    changes.alert(alert)
    await session.commit()
    await engine.announce(session, changes)
    return await history.detail_of(session, alert)


async def resolve(
    engine: AlertEngine,
    session: AsyncSession,
    scope: SiteScope,
    alert_id: uuid.UUID,
    note: str | None,
    by: uuid.UUID,
    now: datetime,
) -> AlertDetail:
    alert = await _live(session, scope, alert_id)
    actor = await actor_of(session, by)
    changes = Changes()
    await engine.resolve(session, alert, now, changes, auto=False, actor=actor, note=(note or "").strip() or None)
    await session.commit()
    await engine.announce(session, changes)
    return await history.detail_of(session, alert)
