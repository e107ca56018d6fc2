"""Wire shapes of the support desk: the agents' queue and tickets, the drivers' own tickets, and the live events."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from api.schema import AppStruct, FreeText

Status = Literal["new", "open", "pending", "on_hold", "solved", "closed"]
Priority = Literal["low", "normal", "high", "urgent"]
Category = Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")]
Tag = Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=r"^[^\x00-\x1f\x7f,]+$")]
Tags = Annotated[list[Tag], msgspec.Meta(max_length=20)]
Text = Annotated[FreeText, msgspec.Meta(min_length=1, max_length=8000)]


class DriverRef(AppStruct):
    id: uuid.UUID
    name: str
    email: str


class PersonRef(AppStruct):
    id: uuid.UUID
    name: str


class TicketSummary(AppStruct):
    """A ticket as the queue lists it; `slaState` is the state of the clock running now (first response until
    answered, then resolution)."""

    id: int
    number: str
    status: str
    priority: str
    category: str
    source: str
    summary: str
    language: str
    tags: list[str]
    charger_id: str | None
    driver: DriverRef | None
    assignee: PersonRef | None
    created_at: datetime
    updated_at: datetime
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    sla_state: Literal["ok", "soon", "breached", "met", "none"]
    merged_into_id: int | None


class TranscriptItem(AppStruct):
    role: str
    text: str
    at: datetime | None = None


class TicketMessageView(AppStruct):
    id: int
    visibility: str
    author_role: str
    author_name: str
    text: str
    created_at: datetime


class TicketEventView(AppStruct):
    at: datetime
    actor_role: str
    actor_name: str
    action: str
    detail: dict[str, Any]


class RatingView(AppStruct):
    score: int
    comment: str | None
    at: datetime | None


class TicketDetail(TicketSummary):
    """Everything an agent needs on one page: links, what was said before and after the hand-over, the audit
    trail (internal notes included)."""

    conversation_id: uuid.UUID | None
    session_id: uuid.UUID | None
    location_id: uuid.UUID | None
    evse_id: uuid.UUID | None
    transcript: list[TranscriptItem]
    diagnostics: dict[str, Any]
    actions_tried: list[dict[str, Any]]
    messages: list[TicketMessageView]
    events: list[TicketEventView]
    rating: RatingView | None
    first_responded_at: datetime | None
    solved_at: datetime | None
    closed_at: datetime | None


class QueuePage(AppStruct):
    items: list[TicketSummary]
    next_cursor: str | None


# ----- agent requests ----------------------------------------------------------------------------------------


class OpenTicket(AppStruct):
    summary: Annotated[FreeText, msgspec.Meta(min_length=1, max_length=300)]
    priority: Priority = "normal"
    category: Category = "other"
    driver_id: uuid.UUID | None = None
    charger_id: Annotated[str, msgspec.Meta(min_length=1, max_length=48)] | None = None
    session_id: uuid.UUID | None = None
    tags: Tags = msgspec.field(default_factory=list)
    text: Annotated[FreeText, msgspec.Meta(max_length=8000)] | None = None


class PatchTicket(AppStruct):
    priority: Priority | None = None
    category: Category | None = None
    tags: Tags | None = None


class AssignTicket(AppStruct):
    assignee_id: uuid.UUID | None


class ChangeStatus(AppStruct):
    status: Status
    comment: Annotated[FreeText, msgspec.Meta(max_length=500)] | None = None


class BulkUpdate(AppStruct):
    ids: Annotated[list[int], msgspec.Meta(min_length=1, max_length=200)]
    status: Status | None = None
    priority: Priority | None = None
    assignee_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET  # null unassigns; absent leaves it
    add_tags: Tags = msgspec.field(default_factory=list)


class BulkFailure(AppStruct):
    id: int
    problem: dict[str, Any]  # the problem details this ticket alone would have got


class BulkResult(AppStruct):
    updated: list[int]
    failed: list[BulkFailure]


class TextBody(AppStruct):
    text: Text


class MergeTicket(AppStruct):
    into_id: int


class CannedReply(AppStruct):
    id: str
    title: str
    language: str
    body: str


# ----- driver side -------------------------------------------------------------------------------------------


class MyTicketMessage(AppStruct):
    id: int
    visibility: str  # public or system
    author_role: str
    author_name: str
    text: str
    created_at: datetime


class MyTicket(AppStruct):
    id: int
    number: str
    status: str
    category: str
    summary: str
    created_at: datetime
    updated_at: datetime
    messages: list[MyTicketMessage]
    rating: RatingView | None
    can_rate: bool
    can_reopen: bool
    reopen_until: datetime | None


class RateTicket(AppStruct):
    score: Annotated[int, msgspec.Meta(ge=1, le=5)]
    comment: Annotated[FreeText, msgspec.Meta(max_length=2000)] | None = None


class DriverMessage(AppStruct):
    text: Annotated[FreeText, msgspec.Meta(min_length=1, max_length=2000)]


# ----- live events on the driver's conversation ----------------------------------------------------------------


class AgentReplyEvent(AppStruct):
    ticket_id: int
    number: str
    message_id: int
    author_name: str
    text: str
    at: datetime


class TicketStatusEvent(AppStruct):
    ticket_id: int
    number: str
    status: str
    at: datetime


class SurveyEvent(AppStruct):
    ticket_id: int
    number: str
    question: str
    scale: list[int]
