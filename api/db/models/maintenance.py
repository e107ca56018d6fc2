"""Maintenance: preventive schedules per location, the work orders they (or people, or alerts) open, each work
order's checklist and comments, and the audit of every change to either."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base
from api.db.types import UTCDateTime, utc_now


class MaintenanceSchedule(Base):
    """A task repeated at one location (a quarterly inspection, an annual electrical test).

    Occurrence n is due `starts_on` plus (n - first_occurrence) intervals, always counted from `starts_on`, so a
    schedule that starts on the 31st comes back to the 31st after a short month instead of drifting to the 28th.
    """

    __tablename__ = "maintenance_schedules"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), index=True)
    charger_id: Mapped[str | None] = mapped_column(String(48))  # OCPP identity; None: the whole location
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(2000), default="")
    every: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(8))  # days or months
    starts_on: Mapped[date] = mapped_column(Date)
    occurrence: Mapped[int] = mapped_column(Integer, default=0)  # the next occurrence to open a work order for
    # the occurrence that falls on starts_on: a changed start or interval counts on, so numbers are never reused
    first_occurrence: Mapped[int] = mapped_column(Integer, default=0)
    next_due_on: Mapped[date] = mapped_column(Date)
    lead_days: Mapped[int] = mapped_column(Integer, default=0)  # open the work order this many days before it is due
    opens_on: Mapped[date] = mapped_column(Date, index=True)  # next_due_on - lead_days: what the scan looks for
    checklist: Mapped[list[str]] = mapped_column(JSON, default=list)
    takes_out_of_service: Mapped[bool] = mapped_column(Boolean, default=False)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class WorkOrder(Base):
    """A job at a location or on one charger: open -> in_progress -> done / cancelled."""

    __tablename__ = "work_orders"
    __table_args__ = (
        # one work order per schedule occurrence, however many processes scan at once
        UniqueConstraint("schedule_id", "occurrence"),
        Index("ix_work_orders_status_due_on", "status", "due_on"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(2000), default="")
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), index=True)
    charger_id: Mapped[str | None] = mapped_column(String(48), index=True)  # OCPP identity
    schedule_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("maintenance_schedules.id", ondelete="SET NULL"))
    occurrence: Mapped[int | None] = mapped_column(Integer)
    alert_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)  # the alert it came from, if any
    ticket_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # support tickets about the same problem
    source: Mapped[str] = mapped_column(String(16))  # manual, schedule or alert
    status: Mapped[str] = mapped_column(String(16), default="open")
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    due_on: Mapped[date | None] = mapped_column(Date)
    takes_out_of_service: Mapped[bool] = mapped_column(Boolean, default=False)
    service_reason: Mapped[str | None] = mapped_column(String(200))  # what drivers read while it is out of service
    # while out of service: each EVSE held and the status it had, [{"evseId": ..., "status": ...}]
    held_evses: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    closing_notes: Mapped[str | None] = mapped_column(String(4000))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WorkOrderChecklistItem(Base):
    """One line of a work order's checklist; ticked by whom and when (one row each, so two ticks never collide)."""

    __tablename__ = "work_order_checklist_items"

    work_order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    text: Mapped[str] = mapped_column(String(300))
    done_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WorkOrderComment(Base):
    __tablename__ = "work_order_comments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    work_order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(String(4000))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class MaintenanceAudit(Base):
    """Every change to a schedule or a work order: who (None: the scheduler), when, what, with its details."""

    __tablename__ = "maintenance_audit"

    # a sequence, so entries written in one instant keep their order
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    schedule_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)  # no FKs: the trail outlives its subject
    work_order_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
