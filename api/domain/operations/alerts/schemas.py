"""Wire shapes of the alerts API (camelCase)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from api.schema import AppStruct, FreeText

AlertState = Literal["open", "acknowledged", "resolved"]
SeverityName = Literal["critical", "major", "minor", "info"]


class AlertSummary(AppStruct):
    """One alert as the list and the live feed show it."""

    id: uuid.UUID
    rule: str
    title: str
    severity: str
    state: str
    charger_id: str | None
    connector_id: int | None
    location_id: uuid.UUID | None
    detail: dict[str, str]
    occurrences: int
    condition_active: bool
    opened_at: datetime | None
    last_seen_at: datetime
    acknowledged_at: datetime | None
    assigned_to: uuid.UUID | None
    assignee_name: str | None
    resolved_at: datetime | None
    auto_resolved: bool
    escalated_at: datetime | None
    ticket_id: int | None


class AlertEventView(AppStruct):
    kind: str
    at: datetime
    actor: str
    detail: dict[str, object]


class AlertDetail(AppStruct):
    alert: AlertSummary
    resolution_note: str | None
    history: list[AlertEventView]


class AlertPage(AppStruct):
    items: list[AlertSummary]
    total: int


class AssignAlert(AppStruct):
    assignee_id: uuid.UUID | None


class AlertNote(AppStruct):
    note: Annotated[FreeText, msgspec.Meta(max_length=2000)] | None = None


class RuleView(AppStruct):
    name: str
    title: str
    severity: str
    enabled: bool
    raise_after_seconds: int
    clear_after_seconds: int
    affects_drivers: bool
    escalate_after_minutes: float | None
    params: dict[str, float]


class RuleUpdate(AppStruct):
    """Fields left out keep their current value; `params` are merged over the rule's current thresholds."""

    severity: SeverityName | None = None
    enabled: bool | None = None
    raise_after_seconds: Annotated[int, msgspec.Meta(ge=0, le=604800)] | None = None
    clear_after_seconds: Annotated[int, msgspec.Meta(ge=0, le=604800)] | None = None
    params: dict[str, Annotated[float, msgspec.Meta(ge=0)]] | None = None


class FatigueRow(AppStruct):
    """How noisy one rule was over the period (`rule` "*" is every rule together)."""

    rule: str
    alerts: int
    chargers: int
    alerts_per_charger_per_week: float
    acknowledged: int
    median_minutes_to_acknowledge: float | None
    p90_minutes_to_acknowledge: float | None
    auto_resolved_within_5_minutes: float  # share of the period's alerts, 0..1
    by_severity: dict[str, int]


class FatigueReport(AppStruct):
    period_from: datetime
    period_to: datetime
    weeks: float
    rules: list[FatigueRow]
    overall: FatigueRow
