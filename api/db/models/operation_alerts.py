"""Operations alerts: one row per charger problem while it lasts, its audit trail, the operators' rule settings and
the days whose minor-alert digest went out."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, Uuid, false
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base
from api.db.types import UTCDateTime, utc_now


class OperationAlert(Base):
    """One problem of one charger (or connector, or the whole network) under one rule.

    `live_key` is `<rule>:<charger>:<connector>` while the problem lasts and NULL once resolved: the unique
    constraint makes every report of the same problem land on this row, whatever process receives it. `state` is
    `pending` (the condition holds but not yet for the rule's raise time: not shown as an alert), `open`,
    `acknowledged` or `resolved`. `condition_active` / `cleared_since` carry the hysteresis: a resolved alert is
    one whose condition stayed clear for the rule's clear time.
    """

    __tablename__ = "operation_alerts"
    __table_args__ = (
        Index("ix_operation_alerts_state_severity", "state", "severity"),
        Index("ix_operation_alerts_opened_at", "opened_at"),
        Index("ix_operation_alerts_charger_id", "charger_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    live_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    rule: Mapped[str] = mapped_column(String(64), index=True)
    charger_id: Mapped[str | None] = mapped_column(String(48))
    connector_id: Mapped[int | None] = mapped_column(Integer)
    location_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    severity: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    condition_active: Mapped[bool] = mapped_column(Boolean, default=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    cleared_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assigned_to: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    auto_resolved: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the opening notice went out
    digested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a minor alert listed in a digest
    ticket_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("support_tickets.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class OperationAlertEvent(Base):
    """Every change of an alert: opened, updated, acknowledged, assigned, escalated, resolved, notified."""

    __tablename__ = "operation_alert_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    alert_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operation_alerts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(255), default="Voltway")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AlertRuleOverride(Base):
    """What an admin changed of a rule's defaults; fields left NULL keep the default."""

    __tablename__ = "alert_rule_overrides"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    severity: Mapped[str | None] = mapped_column(String(16))
    enabled: Mapped[bool | None] = mapped_column(Boolean)
    raise_after_seconds: Mapped[int | None] = mapped_column(Integer)
    clear_after_seconds: Mapped[int | None] = mapped_column(Integer)
    params: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class AlertDigest(Base):
    """One row per local business day whose minor-alert digest was sent: the primary key lets exactly one process
    send it."""

    __tablename__ = "operation_alert_digests"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    alerts: Mapped[int] = mapped_column(Integer, default=0)
