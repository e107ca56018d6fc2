"""Wire shapes of the maintenance API (camelCase, app API)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Final, Literal

import msgspec

from api.domain.maintenance.recurrence import Unit
from api.schema import AppStruct, FreeText

Status = Literal["open", "in_progress", "done", "cancelled"]
Source = Literal["manual", "schedule", "alert"]
RuleName = Literal["daily", "weekly", "monthly", "quarterly", "half-yearly", "yearly"]

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]
Description = Annotated[FreeText, msgspec.Meta(max_length=2000)]
ChargerId = Annotated[str, msgspec.Meta(min_length=1, max_length=48)]
ItemText = Annotated[str, msgspec.Meta(min_length=1, max_length=300, pattern=r"\S")]
Checklist = Annotated[list[ItemText], msgspec.Meta(max_length=50)]
Every = Annotated[int, msgspec.Meta(ge=1, le=3660)]
LeadDays = Annotated[int, msgspec.Meta(ge=0, le=365)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]
Notes = Annotated[FreeText, msgspec.Meta(min_length=1, max_length=4000)]  # not blank: checked on use
TicketIds = Annotated[list[Annotated[int, msgspec.Meta(ge=1)]], msgspec.Meta(max_length=50)]


FIRST_DAY: Final = date(2000, 1, 1)
LAST_DAY: Final = date(2199, 12, 31)  # room for every occurrence a schedule may reach


def _check_days(*days: object) -> None:
    """Dates of maintenance work fall in this century or the next (far dates would overflow the calendar)."""
    for day in days:
        if isinstance(day, date) and not FIRST_DAY <= day <= LAST_DAY:
            raise ValueError(f"dates must fall between {FIRST_DAY} and {LAST_DAY}")


class RecurrenceView(AppStruct):
    every: int
    unit: Unit
    text: str  # "quarterly", "every 10 days"


class NewSchedule(AppStruct):
    """A preventive task at a location (`locationId`) or on one charger there (`chargerId`: its location is taken).
    The interval is a `rule` ("quarterly", "yearly" ...) or `every` N `unit`s; `startsOn` is the first due date."""

    name: Title
    starts_on: date
    location_id: uuid.UUID | None = None
    charger_id: ChargerId | None = None
    rule: RuleName | None = None
    every: Every | None = None
    unit: Unit | None = None
    description: Description = ""
    lead_days: LeadDays = 0
    checklist: Checklist = msgspec.field(default_factory=list)
    takes_out_of_service: bool = False
    assignee_id: uuid.UUID | None = None

    def __post_init__(self) -> None:
        _check_days(self.starts_on)


class ScheduleChange(AppStruct):
    """Only the fields sent change. A new interval or `nextDueOn` counts the following occurrences from then on."""

    name: Title | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET
    rule: RuleName | msgspec.UnsetType = msgspec.UNSET
    every: Every | msgspec.UnsetType = msgspec.UNSET
    unit: Unit | msgspec.UnsetType = msgspec.UNSET
    next_due_on: date | msgspec.UnsetType = msgspec.UNSET
    lead_days: LeadDays | msgspec.UnsetType = msgspec.UNSET
    checklist: Checklist | msgspec.UnsetType = msgspec.UNSET
    takes_out_of_service: bool | msgspec.UnsetType = msgspec.UNSET
    assignee_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET

    def __post_init__(self) -> None:
        _check_days(self.next_due_on)


class ScheduleView(AppStruct):
    id: uuid.UUID
    location_id: uuid.UUID
    location_name: str | None
    charger_id: str | None
    name: str
    description: str
    recurrence: RecurrenceView
    starts_on: date
    next_due_on: date
    lead_days: int
    checklist: list[str]
    takes_out_of_service: bool
    assignee_id: uuid.UUID | None
    active: bool
    created_at: datetime
    updated_at: datetime


class NewWorkOrder(AppStruct):
    """A work order by hand or from an alert: on a charger (`chargerId`) or a whole location (`locationId`)."""

    title: Title
    charger_id: ChargerId | None = None
    location_id: uuid.UUID | None = None
    description: Description = ""
    alert_id: uuid.UUID | None = None
    ticket_ids: TicketIds = msgspec.field(default_factory=list)
    assignee_id: uuid.UUID | None = None
    due_on: date | None = None
    checklist: Checklist = msgspec.field(default_factory=list)
    takes_out_of_service: bool = False
    service_reason: Reason | None = None  # what drivers read; the title when omitted

    def __post_init__(self) -> None:
        _check_days(self.due_on)


class WorkOrderChange(AppStruct):
    """Only the fields sent change; `assigneeId` or `dueOn` null clears them."""

    title: Title | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET
    assignee_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    due_on: date | msgspec.UnsetType | None = msgspec.UNSET
    ticket_ids: TicketIds | msgspec.UnsetType = msgspec.UNSET
    takes_out_of_service: bool | msgspec.UnsetType = msgspec.UNSET
    service_reason: Reason | msgspec.UnsetType = msgspec.UNSET

    def __post_init__(self) -> None:
        _check_days(self.due_on)


class StartWork(AppStruct):
    """`sendAvailability` false: the charger is not told (ChangeAvailability) even when connected."""

    send_availability: bool = True


class Completion(AppStruct):
    closing_notes: Notes
    send_availability: bool = True


class Cancellation(AppStruct):
    reason: Annotated[FreeText, msgspec.Meta(max_length=4000)] | None = None
    send_availability: bool = True


class Tick(AppStruct):
    done: bool = True


class NewComment(AppStruct):
    body: Notes


class ChecklistItemView(AppStruct):
    position: int
    text: str
    done: bool
    done_by: uuid.UUID | None
    done_at: datetime | None


class CommentView(AppStruct):
    id: uuid.UUID
    author_id: uuid.UUID | None
    body: str
    at: datetime


class AuditView(AppStruct):
    at: datetime
    actor_id: uuid.UUID | None  # None: the scheduler
    action: str
    detail: dict[str, Any]


class WorkOrderSummary(AppStruct):
    id: uuid.UUID
    title: str
    status: Status
    source: Source
    location_id: uuid.UUID
    location_name: str | None
    charger_id: str | None
    assignee_id: uuid.UUID | None
    due_on: date | None
    overdue: bool
    takes_out_of_service: bool
    out_of_service: bool  # its EVSEs are held INOPERATIVE now
    checklist_done: int
    checklist_total: int
    created_at: datetime
    updated_at: datetime


class WorkOrderDetail(WorkOrderSummary):
    description: str
    schedule_id: uuid.UUID | None
    alert_id: uuid.UUID | None
    ticket_ids: list[int]
    service_reason: str | None
    closing_notes: str | None
    created_by: uuid.UUID | None
    started_at: datetime | None
    closed_at: datetime | None
    availability: str | None  # what the charger answered to the last ChangeAvailability, when one was sent
    checklist: list[ChecklistItemView]
    comments: list[CommentView]
    audit: list[AuditView]
