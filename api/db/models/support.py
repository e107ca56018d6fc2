"""Support tickets: a driver's problem handed to a person, with everything already known, its conversation between
agents and the driver, and the audit trail of every change."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base
from api.db.types import UTCDateTime, utc_now

TICKET_STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
TICKET_PRIORITIES = ("low", "normal", "high", "urgent")
TICKET_SOURCES = ("assistant", "station_report", "agent", "network")


class SupportTicket(Base):
    """One driver problem (or one charger problem that affects drivers), worked by agents from new to closed.

    `status`: new, open, pending (waiting for the driver), on_hold, solved, closed. `priority`: low, normal, high,
    urgent. `source`: assistant, station_report, agent, network. `dedupe_key` groups what the network and station
    reports open about one charger problem into one ticket while it is not solved. `charger_id` is the charger's
    OCPP identity. The SLA due times are set when the ticket opens and when its priority changes.
    """

    __tablename__ = "support_tickets"
    __table_args__ = (
        Index("ix_support_tickets_status_priority", "status", "priority"),
        Index("ix_support_tickets_dedupe_key", "dedupe_key"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    conversation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("chat_conversations.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    priority: Mapped[str] = mapped_column(String(8), index=True)
    intent: Mapped[str] = mapped_column(String(40))  # what the assistant recognised (or the opener's category)
    confidence: Mapped[float] = mapped_column(Float)
    language: Mapped[str] = mapped_column(String(8))
    summary: Mapped[str] = mapped_column(String(300))
    charger_id: Mapped[str | None] = mapped_column(String(48), index=True)
    transcript: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    diagnostics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actions_tried: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    expected_response_minutes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    source: Mapped[str] = mapped_column(String(16), default="assistant")
    category: Mapped[str] = mapped_column(String(40), default="other", index=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    session_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("charging_sessions.id", ondelete="SET NULL"))
    location_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("locations.id", ondelete="SET NULL"))
    evse_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("evses.id", ondelete="SET NULL"))
    dedupe_key: Mapped[str | None] = mapped_column(String(120))
    first_response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    first_responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    solved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("support_tickets.id", ondelete="SET NULL"))
    rating: Mapped[int | None] = mapped_column(Integer)  # the driver's 1-5 after solving
    rating_comment: Mapped[str | None] = mapped_column(String(2000))
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    urgent_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SupportTicketMessage(Base):
    """What was said on a ticket after it opened: `public` replies the driver sees (from an agent or the driver),
    `internal` notes only agents see, and `system` lines (status changes, survey) shown to both."""

    __tablename__ = "support_ticket_messages"
    __table_args__ = (Index("ix_support_ticket_messages_ticket_at", "ticket_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("support_tickets.id", ondelete="CASCADE"))
    visibility: Mapped[str] = mapped_column(String(16))  # public, internal, system
    author_role: Mapped[str] = mapped_column(String(16))  # driver, agent, admin, assistant, system
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(String(8000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class SupportTicketEvent(Base):
    """The audit trail: who changed what on a ticket, and when (never updated, never deleted with the ticket's
    merge)."""

    __tablename__ = "support_ticket_events"
    __table_args__ = (Index("ix_support_ticket_events_ticket_at", "ticket_id", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("support_tickets.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_role: Mapped[str] = mapped_column(String(16))  # driver, agent, admin, assistant, system, network
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(String(40))  # created, status, priority, assigned, replied, noted, ...
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
