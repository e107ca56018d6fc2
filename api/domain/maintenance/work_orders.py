"""Work orders: opened by hand, from an alert or by a schedule; assigned, worked through a checklist, commented,
and closed with notes. open -> in_progress -> done / cancelled. Every change is audited in the same transaction.

A work order that takes its charger out of service holds the charger's EVSEs (or, without a charger, those of
every charger at its location) from its start until it is done or cancelled; see `out_of_service.py`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Final, Literal

import msgspec
from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import ChargingStation, Evse, Location, WorkOrder, WorkOrderChecklistItem, WorkOrderComment
from api.domain.maintenance import audit
from api.domain.maintenance.out_of_service import ServiceStatus
from api.domain.maintenance.people import check_assignee, check_tickets
from api.domain.maintenance.schemas import (
    ChecklistItemView,
    CommentView,
    NewWorkOrder,
    WorkOrderChange,
    WorkOrderDetail,
    WorkOrderSummary,
)
from api.domain.maintenance.sites import site_of
from api.domain.operations.scope import SiteScope
from api.errors import Conflict, FieldError, InvalidInput, NotFound

ACTIVE: Final = ("open", "in_progress")
CLOSED: Final = ("done", "cancelled")
View = Literal["open", "overdue", "mine", "closed", "all"]
LIST_LIMIT: Final = 500


def _overdue(order: WorkOrder, today: date) -> bool:
    return order.status in ACTIVE and order.due_on is not None and order.due_on < today


def _summary(order: WorkOrder, location_name: str | None, done: int, total: int, today: date) -> WorkOrderSummary:
    return WorkOrderSummary(
        id=order.id,
        title=order.title,
        status=order.status,  # type: ignore[arg-type]
        source=order.source,  # type: ignore[arg-type]
        location_id=order.location_id,
        location_name=location_name,
        charger_id=order.charger_id,
        assignee_id=order.assignee_id,
        due_on=order.due_on,
        overdue=_overdue(order, today),
        takes_out_of_service=order.takes_out_of_service,
        out_of_service=bool(order.held_evses),
        checklist_done=done,
        checklist_total=total,
        created_at=order.created_at,
        updated_at=order.updated_at,
    )


def _filter(view: View, user_id: uuid.UUID, today: date) -> ColumnElement[bool]:
    active = WorkOrder.status.in_(ACTIVE)
    if view == "open":
        return active
    if view == "overdue":
        return and_(active, WorkOrder.due_on < today)
    if view == "mine":
        return and_(active, WorkOrder.assignee_id == user_id)
    if view == "closed":
        return WorkOrder.status.in_(CLOSED)
    return WorkOrder.id.is_not(None)


async def list_work_orders(
    session: AsyncSession,
    scope: SiteScope,
    user_id: uuid.UUID,
    today: date,
    *,
    view: View = "open",
    location_id: uuid.UUID | None = None,
    charger_id: str | None = None,
) -> list[WorkOrderSummary]:
    """The caller's sites' work orders: overdue first, then by due date (none last), newest first among equals."""
    items = (
        select(
            WorkOrderChecklistItem.work_order_id,
            func.count().label("total"),
            func.count(WorkOrderChecklistItem.done_at).label("done"),
        )
        .group_by(WorkOrderChecklistItem.work_order_id)
        .subquery()
    )
    query = (
        select(WorkOrder, Location.name, items.c.done, items.c.total)
        .join(Location, Location.id == WorkOrder.location_id)
        .outerjoin(items, items.c.work_order_id == WorkOrder.id)
        .where(scope.where(WorkOrder.location_id), _filter(view, user_id, today))
        .order_by(WorkOrder.due_on.is_(None), WorkOrder.due_on, WorkOrder.created_at.desc(), WorkOrder.id)
        .limit(LIST_LIMIT)
    )
    if location_id is not None:
        query = query.where(WorkOrder.location_id == location_id)
    if charger_id is not None:
        query = query.where(WorkOrder.charger_id == charger_id)
    rows = (await session.execute(query)).all()
    return [_summary(order, name, done or 0, total or 0, today) for order, name, done, total in rows]


async def _in_scope(
    session: AsyncSession, scope: SiteScope, work_order_id: uuid.UUID, *, lock: bool = False
) -> WorkOrder:
    query = select(WorkOrder).where(WorkOrder.id == work_order_id)
    if lock:
        query = query.with_for_update()
    order = (await session.execute(query)).scalar_one_or_none()
    if order is None or not scope.allows(order.location_id):
        raise NotFound(f"No work order {work_order_id}.")
    return order


async def _checklist(session: AsyncSession, work_order_id: uuid.UUID) -> list[ChecklistItemView]:
    rows = (
        await session.execute(
            select(WorkOrderChecklistItem)
            .where(WorkOrderChecklistItem.work_order_id == work_order_id)
            .order_by(WorkOrderChecklistItem.position)
        )
    ).scalars()
    return [
        ChecklistItemView(
            position=row.position, text=row.text, done=row.done_at is not None, done_by=row.done_by, done_at=row.done_at
        )
        for row in rows
    ]


async def get_work_order(
    session: AsyncSession, scope: SiteScope, work_order_id: uuid.UUID, today: date
) -> WorkOrderDetail:
    order = await _in_scope(session, scope, work_order_id)
    return await _detail(session, order, today)


async def _detail(session: AsyncSession, order: WorkOrder, today: date) -> WorkOrderDetail:
    location_name = (
        await session.execute(select(Location.name).where(Location.id == order.location_id))
    ).scalar_one_or_none()
    checklist = await _checklist(session, order.id)
    comments = (
        await session.execute(
            select(WorkOrderComment)
            .where(WorkOrderComment.work_order_id == order.id)
            .order_by(WorkOrderComment.at, WorkOrderComment.id)
        )
    ).scalars()
    trail = await audit.entries(session, work_order_id=order.id)
    told = [entry for entry in trail if entry.action == "charger.availability"]
    summary = _summary(order, location_name, sum(item.done for item in checklist), len(checklist), today)
    return WorkOrderDetail(
        **msgspec.structs.asdict(summary),
        description=order.description,
        schedule_id=order.schedule_id,
        alert_id=order.alert_id,
        ticket_ids=list(order.ticket_ids),
        service_reason=order.service_reason,
        closing_notes=order.closing_notes,
        created_by=order.created_by,
        started_at=order.started_at,
        closed_at=order.closed_at,
        availability=str(told[-1].detail.get("outcome")) if told else None,
        checklist=checklist,
        comments=[CommentView(id=c.id, author_id=c.author_id, body=c.body, at=c.at) for c in comments],
        audit=trail,
    )


async def create_work_order(
    session: AsyncSession, scope: SiteScope, actor_id: uuid.UUID, data: NewWorkOrder, now: datetime
) -> WorkOrderDetail:
    location_id = await site_of(
        session,
        scope,
        data.location_id,
        data.charger_id,
        mismatch_field="locationId",
        missing=FieldError("chargerId", "name the charger (chargerId) or the location (locationId)"),
    )
    await check_assignee(session, data.assignee_id)
    tickets = await check_tickets(session, data.ticket_ids)
    if data.alert_id is not None:
        existing = (
            await session.execute(
                select(WorkOrder.id).where(WorkOrder.alert_id == data.alert_id, WorkOrder.status.in_(ACTIVE))
            )
        ).scalar_one_or_none()
        if existing is not None:
            raise Conflict(f"Work order {existing} is already open for this alert.")
    order = WorkOrder(
        id=uuid.uuid4(),
        title=data.title.strip(),
        description=data.description,
        location_id=location_id,
        charger_id=data.charger_id,
        schedule_id=None,
        occurrence=None,
        alert_id=data.alert_id,
        ticket_ids=tickets,
        source="alert" if data.alert_id is not None else "manual",
        status="open",
        assignee_id=data.assignee_id,
        due_on=data.due_on,
        takes_out_of_service=data.takes_out_of_service,
        service_reason=data.service_reason,
        held_evses=[],
        created_by=actor_id,
        created_at=now,
        updated_at=now,
    )
    session.add(order)
    await session.flush()
    for position, text in enumerate(data.checklist, start=1):
        session.add(WorkOrderChecklistItem(work_order_id=order.id, position=position, text=text.strip()))
    audit.record(
        session,
        "work_order.opened",
        actor_id=actor_id,
        at=now,
        work_order_id=order.id,
        source=order.source,
        title=order.title,
        chargerId=order.charger_id,
        alertId=order.alert_id,
    )
    await session.commit()
    return await _detail(session, order, now.date())


def _written(text: str | None, field: str, hint: str) -> str:
    """`text` without surrounding blanks; 422 naming `field` when nothing is left."""
    stripped = (text or "").strip()
    if not stripped:
        raise InvalidInput([FieldError(field, f"{hint}: it must not be blank")])
    return stripped


def _reason(order: WorkOrder) -> str:
    return order.service_reason or order.title


async def change_work_order(
    session: AsyncSession,
    scope: SiteScope,
    service: ServiceStatus,
    actor_id: uuid.UUID,
    work_order_id: uuid.UUID,
    data: WorkOrderChange,
    now: datetime,
) -> tuple[WorkOrderDetail, bool | None]:
    """Change what was sent. Returns the work order and, when its charger must now be told, whether it is
    operational (a running work order that starts or stops taking the charger out of service)."""
    order = await _in_scope(session, scope, work_order_id, lock=True)
    if order.status in CLOSED:
        raise Conflict(f"This work order is {order.status}; it can no longer change.")
    changed: dict[str, Any] = {}
    for name in ("title", "description", "due_on"):
        value = getattr(data, name)
        if value is not msgspec.UNSET:
            setattr(order, name, value)
            changed[name] = value
    if data.assignee_id is not msgspec.UNSET:
        await check_assignee(session, data.assignee_id)
        order.assignee_id = data.assignee_id
        changed["assigneeId"] = data.assignee_id
    if data.ticket_ids is not msgspec.UNSET:
        order.ticket_ids = await check_tickets(session, data.ticket_ids)
        changed["ticketIds"] = order.ticket_ids
    if data.service_reason is not msgspec.UNSET:
        order.service_reason = data.service_reason
        changed["serviceReason"] = data.service_reason
        await service.reason(session, order.held_evses, _reason(order), now)
    tell: bool | None = None
    if data.takes_out_of_service is not msgspec.UNSET and data.takes_out_of_service != order.takes_out_of_service:
        order.takes_out_of_service = data.takes_out_of_service
        changed["takesOutOfService"] = data.takes_out_of_service
        if order.status == "in_progress":
            tell = await _set_held(session, service, order, hold=data.takes_out_of_service, now=now, actor_id=actor_id)
    if not changed:
        return await _detail(session, order, now.date()), None
    order.updated_at = now
    audit.record(session, "work_order.changed", actor_id=actor_id, at=now, work_order_id=order.id, **changed)
    await session.commit()
    return await _detail(session, order, now.date()), tell


async def _set_held(
    session: AsyncSession,
    service: ServiceStatus,
    order: WorkOrder,
    *,
    hold: bool,
    now: datetime,
    actor_id: uuid.UUID | None,
) -> bool | None:
    """Hold or release the work order's EVSEs; whether the charger is to be told it is operational (None: no)."""
    if hold:
        order.held_evses = await service.hold(session, order.location_id, order.charger_id, _reason(order), now)
        if order.held_evses:
            audit.record(
                session, "service.out", actor_id=actor_id, at=now, work_order_id=order.id, evses=len(order.held_evses)
            )
            return False
        return None
    if not order.held_evses:
        return None
    handed = await _hand_over(session, service, order, now)
    back = [item for item in order.held_evses if item["evseId"] not in handed]
    await service.release(session, order.location_id, back, now)
    if not back:
        order.held_evses = []
        return None  # another running work order keeps the charger out of service
    audit.record(session, "service.back", actor_id=actor_id, at=now, work_order_id=order.id, evses=len(back))
    order.held_evses = []
    return True


async def _hand_over(session: AsyncSession, service: ServiceStatus, order: WorkOrder, now: datetime) -> set[str]:
    """Give the EVSEs `order` holds that another running out-of-service work order also covers to that one (the
    charger stays out of service until the last of them ends); returns the EVSE ids handed over."""
    others = list(
        (
            await session.execute(
                select(WorkOrder)
                .where(
                    WorkOrder.location_id == order.location_id,
                    WorkOrder.id != order.id,
                    WorkOrder.status == "in_progress",
                    WorkOrder.takes_out_of_service.is_(True),
                )
                .order_by(WorkOrder.started_at, WorkOrder.id)
                .with_for_update()
            )
        ).scalars()
    )
    if not others:
        return set()
    ids = [uuid.UUID(item["evseId"]) for item in order.held_evses]
    charger_of = dict(
        (
            await session.execute(
                select(Evse.id, ChargingStation.ocpp_id)
                .join(ChargingStation, ChargingStation.id == Evse.charging_station_id)
                .where(Evse.id.in_(ids))
            )
        ).all()
    )
    handed: set[str] = set()
    for item in order.held_evses:
        charger = charger_of.get(uuid.UUID(item["evseId"]))
        heir = next((o for o in others if o.charger_id is None or o.charger_id == charger), None)
        if heir is None:
            continue
        heir.held_evses = [*heir.held_evses, item]
        await service.reason(session, [item], _reason(heir), now)
        handed.add(item["evseId"])
    return handed


async def start_work_order(
    session: AsyncSession,
    scope: SiteScope,
    service: ServiceStatus,
    actor_id: uuid.UUID,
    work_order_id: uuid.UUID,
    now: datetime,
) -> tuple[WorkOrderDetail, bool | None]:
    """open -> in_progress; a work order that takes its charger out of service holds its EVSEs from now."""
    order = await _in_scope(session, scope, work_order_id, lock=True)
    if order.status != "open":
        raise Conflict(f"Only an open work order can start; this one is {order.status}.")
    order.status = "in_progress"
    order.started_at = order.updated_at = now
    if order.assignee_id is None:
        order.assignee_id = actor_id  # who starts the work has it
    audit.record(session, "work_order.started", actor_id=actor_id, at=now, work_order_id=order.id)
    tell = (
        await _set_held(session, service, order, hold=True, now=now, actor_id=actor_id)
        if order.takes_out_of_service
        else None
    )
    await session.commit()
    return await _detail(session, order, now.date()), tell


async def close_work_order(
    session: AsyncSession,
    scope: SiteScope,
    service: ServiceStatus,
    actor_id: uuid.UUID,
    work_order_id: uuid.UUID,
    now: datetime,
    *,
    status: Literal["done", "cancelled"],
    notes: str | None,
) -> tuple[WorkOrderDetail, bool | None]:
    """Done (with closing notes, every checklist item ticked) or cancelled; its EVSEs are given back."""
    if status == "done":
        notes = _written(notes, "closingNotes", "say what was done")
    order = await _in_scope(session, scope, work_order_id, lock=True)
    if order.status in CLOSED:
        raise Conflict(f"This work order is already {order.status}.")
    if status == "done":
        open_items = [item.text for item in await _checklist(session, order.id) if not item.done]
        if open_items:
            raise Conflict(f"Tick every checklist item before completing; still open: {'; '.join(open_items[:5])}.")
    order.status = status
    order.closing_notes = notes
    order.closed_at = order.updated_at = now
    tell = await _set_held(session, service, order, hold=False, now=now, actor_id=actor_id)
    action = "work_order.completed" if status == "done" else "work_order.cancelled"
    audit.record(session, action, actor_id=actor_id, at=now, work_order_id=order.id, notes=notes)
    await session.commit()
    return await _detail(session, order, now.date()), tell


async def tick(
    session: AsyncSession,
    scope: SiteScope,
    actor_id: uuid.UUID,
    work_order_id: uuid.UUID,
    position: int,
    done: bool,
    now: datetime,
) -> WorkOrderDetail:
    """Tick (or untick) checklist item `position` (1-based), recording who and when."""
    order = await _in_scope(session, scope, work_order_id)
    if order.status in CLOSED:
        raise Conflict(f"This work order is {order.status}; its checklist is closed.")
    item = await session.get(WorkOrderChecklistItem, (order.id, position))
    if item is None:
        raise NotFound(f"Work order {work_order_id} has no checklist item {position}.")
    if (item.done_at is not None) != done:
        item.done_at = now if done else None
        item.done_by = actor_id if done else None
        order.updated_at = now
        action = "checklist.ticked" if done else "checklist.unticked"
        audit.record(session, action, actor_id=actor_id, at=now, work_order_id=order.id, item=position, text=item.text)
        await session.commit()
    return await _detail(session, order, now.date())


async def add_comment(
    session: AsyncSession, scope: SiteScope, actor_id: uuid.UUID, work_order_id: uuid.UUID, body: str, now: datetime
) -> CommentView:
    body = _written(body, "body", "write the comment")
    order = await _in_scope(session, scope, work_order_id)
    comment = WorkOrderComment(id=uuid.uuid4(), work_order_id=order.id, author_id=actor_id, body=body, at=now)
    session.add(comment)
    order.updated_at = now
    audit.record(session, "comment.added", actor_id=actor_id, at=now, work_order_id=order.id, commentId=comment.id)
    await session.commit()
    return CommentView(id=comment.id, author_id=actor_id, body=body, at=now)


async def chargers_to_tell(session: AsyncSession, order: WorkOrderDetail) -> list[str]:
    """The connected chargers a work order covers (OCPP identities), to send ChangeAvailability to."""
    query = select(ChargingStation.ocpp_id).where(ChargingStation.connected.is_(True))
    if order.charger_id is not None:
        query = query.where(ChargingStation.ocpp_id == order.charger_id)
    else:
        with_evses = select(Evse.charging_station_id).where(Evse.location_id == order.location_id)
        query = query.where(ChargingStation.id.in_(with_evses))
    return sorted((await session.execute(query)).scalars())


def record_told(
    session: AsyncSession,
    work_order_id: uuid.UUID,
    actor_id: uuid.UUID,
    results: Sequence[tuple[str, bool, str]],
    now: datetime,
) -> None:
    """What each charger answered to ChangeAvailability: (charger, operational, outcome)."""
    for charger_id, operational, outcome in results:
        audit.record(
            session,
            "charger.availability",
            actor_id=actor_id,
            at=now,
            work_order_id=work_order_id,
            chargerId=charger_id,
            operative=operational,
            outcome=outcome,
        )
