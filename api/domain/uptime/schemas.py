"""Wire shapes of the uptime API (camelCase): reports, the outage log and exclusions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from api.schema import AppStruct, FreeText

ExclusionCategory = Literal[
    "scheduled_maintenance",
    "grid_outage",
    "generation_failure",
    "vandalism",
    "natural_disaster",
    "force_majeure",
    "outside_operating_hours",
]
EXCLUSION_CATEGORIES: tuple[str, ...] = ExclusionCategory.__args__  # type: ignore[attr-defined]
Reason = Annotated[FreeText, msgspec.Meta(min_length=3, max_length=1000, description="Why, for the audit")]


class UptimeItem(AppStruct, kw_only=True):
    """One port, charger or location (or the network) over the period. A charger's, a location's and the
    network's uptime is the mean of their ports' uptimes, as NEVI measures ports."""

    level: str
    id: uuid.UUID | None
    name: str
    location_id: uuid.UUID | None = None
    location_name: str | None = None
    charger_id: str | None = None  # the OCPP identity
    ports: int
    period_minutes: float
    outage_minutes: float
    excluded_minutes: float
    uptime_percent: float
    below_nevi: bool
    below_industry: bool
    ports_below_nevi: int


class UptimeReport(AppStruct):
    start: datetime = msgspec.field(name="from")
    end: datetime = msgspec.field(name="to")  # never later than now: the future has no uptime yet
    level: str
    method: str
    nevi_threshold: float
    industry_threshold: float
    network: UptimeItem | None
    items: list[UptimeItem]
    below_nevi: int  # items under 97 %
    below_industry: int  # items under 98 %


class NeviMonth(AppStruct):
    month: str  # YYYY-MM
    start: datetime = msgspec.field(name="from")
    end: datetime = msgspec.field(name="to")
    ports: int
    uptime_percent: float | None  # None: the month has not begun
    ports_below_nevi: int
    outage_minutes: float
    excluded_minutes: float


class NeviPort(AppStruct):
    port_id: uuid.UUID
    evse_uid: str
    charger_id: str
    location_name: str | None
    uptime_percent: float


class NeviReport(AppStruct):
    """23 CFR 680.116(b): each of the twelve months up to `month`, and the twelve months together (the figure
    each port must keep above 97 %)."""

    month: str
    months: list[NeviMonth]
    trailing_twelve_months: NeviMonth
    nevi_threshold: float
    ports_below_nevi: list[NeviPort]


class OutageView(AppStruct):
    id: uuid.UUID
    port_id: uuid.UUID
    evse_uid: str
    connector: int | None  # the OCPP connector (1.6) or EVSE (2.0.1) number
    charger_id: str
    location_id: uuid.UUID
    location_name: str | None
    cause: str
    error_code: str | None
    ocpp_status: str | None
    started_at: datetime
    ended_at: datetime | None  # None: still out
    minutes: float  # up to now while open
    excluded_by: list[str]  # exclusion categories covering part of it; "maintenance" for maintenance itself


class OutagePage(AppStruct):
    items: list[OutageView]
    total: int


class ExclusionTarget(AppStruct):
    """Exactly one of the three."""

    port_id: uuid.UUID | None = None
    charger_id: str | None = None
    location_id: uuid.UUID | None = None


class NewExclusion(AppStruct):
    target: ExclusionTarget
    start: datetime = msgspec.field(name="from")
    end: datetime = msgspec.field(name="to")
    category: ExclusionCategory
    reason: Reason


class ExclusionView(AppStruct):
    id: uuid.UUID
    target: str  # port, charger or location
    port_id: uuid.UUID | None
    charger_id: str | None
    location_id: uuid.UUID | None
    name: str
    start: datetime = msgspec.field(name="from")
    end: datetime = msgspec.field(name="to")
    category: str
    reason: str
    created_by: str | None
    created_at: datetime
    withdrawn_at: datetime | None
    withdrawn_by: str | None
    withdrawal_reason: str | None


class ExclusionPage(AppStruct):
    items: list[ExclusionView]


class Withdrawal(AppStruct):
    reason: Reason
