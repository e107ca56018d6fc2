"""Preventive schedules: kept per location, and turned into work orders as they come due.

The scan is safe with several processes at once. A process claims an occurrence by moving the schedule on with
`UPDATE ... WHERE occurrence = <the one it read>` (a write first, so SQLite takes its write lock before reading
anything stale, and PostgreSQL makes a second claimer wait and then find the row moved); the unique
(schedule_id, occurrence) constraint on work orders is the guarantee behind it: one work order per occurrence.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime, timedelta
from typing import Any, Final

import msgspec
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import Location, MaintenanceSchedule, WorkOrder, WorkOrderChecklistItem
from api.domain.maintenance import audit
from api.domain.maintenance.people import check_assignee
from api.domain.maintenance.recurrence import NAMED, Recurrence, Unit
from api.domain.maintenance.schemas import NewSchedule, RecurrenceView, ScheduleChange, ScheduleView
from api.domain.maintenance.sites import site_of
from api.domain.operations.scope import SiteScope
from api.errors import FieldError, InvalidInput, NotFound

logger = logging.getLogger(__name__)

CATCH_UP: Final = 50  # occurrences one schedule may open in one scan (a long outage, a start far in the past)


def recurrence_of(rule: str | None, every: int | None, unit: Unit | None) -> Recurrence:
    """The interval from a named rule or from every + unit; 422 naming the field when neither or both are given."""
    if rule is not None:
        if every is not None or unit is not None:
            raise InvalidInput([FieldError("rule", "give either a rule or every and unit, not both")])
        named_every, named_unit = NAMED[rule]
        return Recurrence(named_every, named_unit)
    if every is None or unit is None:
        missing = "every" if every is None else "unit"
        raise InvalidInput([FieldError(missing, "give a rule (e.g. quarterly) or every and unit")])
    return Recurrence(every, unit)


def _stored(schedule: MaintenanceSchedule) -> Recurrence:
    return Recurrence(schedule.every, "months" if schedule.unit == "months" else "days")


def _view(schedule: MaintenanceSchedule, location_name: str | None) -> ScheduleView:
    recurrence = _stored(schedule)
    return ScheduleView(
        id=schedule.id,
        location_id=schedule.location_id,
        location_name=location_name,
        charger_id=schedule.charger_id,
        name=schedule.name,
        description=schedule.description,
        recurrence=RecurrenceView(every=recurrence.every, unit=recurrence.unit, text=recurrence.describe()),
        starts_on=schedule.starts_on,
        next_due_on=schedule.next_due_on,
        lead_days=schedule.lead_days,
        checklist=list(schedule.checklist),
        takes_out_of_service=schedule.takes_out_of_service,
        assignee_id=schedule.assignee_id,
        active=schedule.active,
        created_at=schedule.created_at,
        updated_at=schedule.updated_at,
    )


async def _location_name(session: AsyncSession, location_id: uuid.UUID) -> str | None:
    return (await session.execute(select(Location.name).where(Location.id == location_id))).scalar_one_or_none()


async def _in_scope(session: AsyncSession, scope: SiteScope, schedule_id: uuid.UUID) -> MaintenanceSchedule:
    schedule = await session.get(MaintenanceSchedule, schedule_id)
    if schedule is None or not scope.allows(schedule.location_id):
        raise NotFound(f"No maintenance schedule {schedule_id}.")
    return schedule


async def list_schedules(
    session: AsyncSession, scope: SiteScope, location_id: uuid.UUID | None = None
) -> list[ScheduleView]:
    """The schedules of the caller's sites, soonest due first."""
    query = (
        select(MaintenanceSchedule, Location.name)
        .join(Location, Location.id == MaintenanceSchedule.location_id)
        .where(scope.where(MaintenanceSchedule.location_id))
        .order_by(MaintenanceSchedule.next_due_on, MaintenanceSchedule.name, MaintenanceSchedule.id)
    )
    if location_id is not None:
        query = query.where(MaintenanceSchedule.location_id == location_id)
    return [_view(schedule, name) for schedule, name in (await session.execute(query)).all()]


async def create_schedule(
    session: AsyncSession, scope: SiteScope, actor_id: uuid.UUID, data: NewSchedule, now: datetime
) -> ScheduleView:
    recurrence = recurrence_of(data.rule, data.every, data.unit)
    location_id = await site_of(
        session,
        scope,
        data.location_id,
        data.charger_id,
        mismatch_field="chargerId",
        missing=FieldError("locationId", "name the location (locationId) or a charger (chargerId)"),
    )
    await check_assignee(session, data.assignee_id)
    schedule = MaintenanceSchedule(
        id=uuid.uuid4(),
        location_id=location_id,
        charger_id=data.charger_id,
        name=data.name.strip(),
        description=data.description,
        every=recurrence.every,
        unit=recurrence.unit,
        starts_on=data.starts_on,
        occurrence=0,
        first_occurrence=0,
        next_due_on=data.starts_on,
        lead_days=data.lead_days,
        opens_on=data.starts_on - timedelta(days=data.lead_days),
        checklist=[item.strip() for item in data.checklist],
        takes_out_of_service=data.takes_out_of_service,
        assignee_id=data.assignee_id,
        active=True,
        created_at=now,
        updated_at=now,
    )
    session.add(schedule)
    audit.record(
        session,
        "schedule.created",
        actor_id=actor_id,
        at=now,
        schedule_id=schedule.id,
        name=schedule.name,
        recurrence=recurrence.describe(),
        startsOn=data.starts_on,
    )
    await session.commit()
    return _view(schedule, await _location_name(session, location_id))


async def change_schedule(
    session: AsyncSession,
    scope: SiteScope,
    actor_id: uuid.UUID,
    schedule_id: uuid.UUID,
    data: ScheduleChange,
    now: datetime,
) -> ScheduleView:
    """Change what was sent; a new interval or next due date restarts the counting from the next due date."""
    schedule = await _in_scope(session, scope, schedule_id)
    changed: dict[str, Any] = {}
    for name in ("name", "description", "checklist", "takes_out_of_service", "active"):
        value = getattr(data, name)
        if value is not msgspec.UNSET:
            setattr(schedule, name, value)
            changed[name] = value
    if data.assignee_id is not msgspec.UNSET:
        await check_assignee(session, data.assignee_id)
        schedule.assignee_id = data.assignee_id
        changed["assigneeId"] = data.assignee_id
    interval_sent = any(getattr(data, name) is not msgspec.UNSET for name in ("rule", "every", "unit"))
    if interval_sent:
        rule = None if data.rule is msgspec.UNSET else data.rule
        stored = _stored(schedule)
        every = stored.every if data.every is msgspec.UNSET and rule is None else data.every
        unit = stored.unit if data.unit is msgspec.UNSET and rule is None else data.unit
        recurrence = recurrence_of(
            rule,
            None if every is msgspec.UNSET else every,
            None if unit is msgspec.UNSET else unit,
        )
        schedule.every, schedule.unit = recurrence.every, recurrence.unit
        changed["recurrence"] = recurrence.describe()
    if data.next_due_on is not msgspec.UNSET or interval_sent:
        next_due = schedule.next_due_on if data.next_due_on is msgspec.UNSET else data.next_due_on
        schedule.starts_on = next_due
        schedule.first_occurrence = schedule.occurrence
        schedule.next_due_on = next_due
        changed["nextDueOn"] = next_due
    if data.lead_days is not msgspec.UNSET:
        schedule.lead_days = data.lead_days
        changed["leadDays"] = data.lead_days
    schedule.opens_on = schedule.next_due_on - timedelta(days=schedule.lead_days)
    schedule.updated_at = now
    audit.record(session, "schedule.changed", actor_id=actor_id, at=now, schedule_id=schedule.id, **changed)
    await session.commit()
    return _view(schedule, await _location_name(session, schedule.location_id))


async def delete_schedule(
    session: AsyncSession, scope: SiteScope, actor_id: uuid.UUID, schedule_id: uuid.UUID, now: datetime
) -> None:
    """The schedule goes; the work orders it opened stay, with their history."""
    schedule = await _in_scope(session, scope, schedule_id)
    audit.record(session, "schedule.deleted", actor_id=actor_id, at=now, schedule_id=schedule.id, name=schedule.name)
    await session.execute(delete(MaintenanceSchedule).where(MaintenanceSchedule.id == schedule.id))
    await session.commit()


# ----- the scan ---------------------------------------------------------------------------------------------------


async def open_due_work_orders(session_factory: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """Open a work order for every schedule occurrence that has come due by `now` (UTC); returns how many."""
    today = now.date()
    async with session_factory() as session:
        due = (
            (
                await session.execute(
                    select(MaintenanceSchedule.id)
                    .where(MaintenanceSchedule.active.is_(True), MaintenanceSchedule.opens_on <= today)
                    .order_by(MaintenanceSchedule.opens_on)
                )
            )
            .scalars()
            .all()
        )
    opened = 0
    for schedule_id in due:
        for _ in range(CATCH_UP):
            outcome = await _open_next(session_factory, schedule_id, today, now)
            if outcome is None:
                break
            opened += outcome
    return opened


async def _open_next(
    session_factory: async_sessionmaker[AsyncSession], schedule_id: uuid.UUID, today: date, now: datetime
) -> int | None:
    """Open the schedule's next occurrence if it is due: 1 opened, 0 another process took it, None nothing due."""
    async with session_factory() as session:
        schedule = await session.get(MaintenanceSchedule, schedule_id)
        if schedule is None or not schedule.active or schedule.opens_on > today:
            return None
        seen = schedule.occurrence
        recurrence = _stored(schedule)
        due_on = schedule.next_due_on
        following = recurrence.occurrence(schedule.starts_on, seen + 1 - schedule.first_occurrence)
        session.expunge(schedule)  # keeps what was read past the rollback
        await session.rollback()  # nothing read is kept: the claim below starts a fresh (write) transaction
        try:
            claimed = await session.execute(
                update(MaintenanceSchedule)
                .where(MaintenanceSchedule.id == schedule_id, MaintenanceSchedule.occurrence == seen)
                .values(
                    occurrence=seen + 1,
                    next_due_on=following,
                    opens_on=following - timedelta(days=schedule.lead_days),
                    updated_at=now,
                )
            )
            if not getattr(claimed, "rowcount", 0):
                await session.rollback()
                return 0
            work_order = WorkOrder(
                id=uuid.uuid4(),
                title=schedule.name,
                description=schedule.description,
                location_id=schedule.location_id,
                charger_id=schedule.charger_id,
                schedule_id=schedule_id,
                occurrence=seen,
                alert_id=None,
                ticket_ids=[],
                source="schedule",
                status="open",
                assignee_id=schedule.assignee_id,
                due_on=due_on,
                takes_out_of_service=schedule.takes_out_of_service,
                service_reason=None,
                held_evses=[],
                created_by=None,
                created_at=now,
                updated_at=now,
            )
            session.add(work_order)
            await session.flush()
            for position, text in enumerate(schedule.checklist, start=1):
                session.add(WorkOrderChecklistItem(work_order_id=work_order.id, position=position, text=text))
            audit.record(
                session,
                "work_order.opened",
                actor_id=None,
                at=now,
                schedule_id=schedule_id,
                work_order_id=work_order.id,
                dueOn=due_on,
                occurrence=seen,
            )
            await session.commit()
        except IntegrityError:  # another process opened this occurrence first
            await session.rollback()
            return 0
    logger.info("maintenance schedule %s: work order %s opened, due %s", schedule_id, work_order.id, due_on)
    return 1
