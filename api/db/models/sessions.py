"""Charging sessions as drivers see them, the devices that get their notifications, and those notifications.

A session is the driver-side record around one OCPP transaction: who asked for it, what tariff and price were
shown before the start (and so apply), the payment hold, and the final bill. At most one open session holds
an EVSE at a time: a partial unique index makes two racing starts end with exactly one winner.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base
from api.db.types import UTCDateTime, utc_now

OPEN_STATUSES = ("starting", "charging", "suspended", "stopping")
_OPEN = "status IN ('starting', 'charging', 'suspended', 'stopping')"
_GUEST = "user_id IS NULL AND idempotency_key IS NOT NULL"


class ChargingSession(Base):
    __tablename__ = "charging_sessions"
    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key"),
        Index(
            "ux_charging_sessions_open_evse",
            "evse_id",
            unique=True,
            sqlite_where=text(_OPEN),
            postgresql_where=text(_OPEN),
        ),
        Index(  # a guest's Idempotency-Key, per email address: one session however many processes answer
            "ux_charging_sessions_guest_key",
            "guest_email",
            "idempotency_key",
            unique=True,
            sqlite_where=text(_GUEST),
            postgresql_where=text(_GUEST),
        ),
        Index("ix_charging_sessions_user_created", "user_id", "created_at"),
        Index("ix_charging_sessions_status_updated", "status", "updated_at"),
        Index("ix_charging_sessions_billed_at", "billed_at"),  # the money reconciliation of a period
        Index("ix_charging_sessions_location_ended", "location_id", "ended_at"),  # site hosts' statements
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    guest_email: Mapped[str | None] = mapped_column(String(320))
    guest_secret_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(8), default="app")  # app | rfid | guest | ocpi
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    request_hash: Mapped[str | None] = mapped_column(String(64))  # what was asked with that key
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    evse_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("evses.id", ondelete="CASCADE"))
    charging_station_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("charging_stations.id", ondelete="CASCADE"))
    connector_id: Mapped[int] = mapped_column(Integer)
    id_token: Mapped[str] = mapped_column(String(36), index=True)
    remote_start_id: Mapped[int | None] = mapped_column(Integer)  # 2.0.1 remoteStartId of our start request
    transaction_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("charging_transactions.id", ondelete="SET NULL"), unique=True
    )
    status: Mapped[str] = mapped_column(String(12), default="starting")
    failure_reason: Mapped[str | None] = mapped_column(String(300))
    stop_reason: Mapped[str | None] = mapped_column(String(120))
    tariff: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    idle_fee: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    price_text: Mapped[str | None] = mapped_column(Text)
    payment_provider: Mapped[str] = mapped_column(String(16), default="none")
    payment_status: Mapped[str] = mapped_column(String(16), default="none")
    payment_reference: Mapped[str | None] = mapped_column(String(255), index=True)
    payment_method: Mapped[str | None] = mapped_column(String(255))
    hold_minor: Mapped[int] = mapped_column(Integer, default=0)
    amount_due: Mapped[str | None] = mapped_column(String(32))  # decimal text in major units
    amount_due_minor: Mapped[int | None] = mapped_column(Integer)
    captured_minor: Mapped[int] = mapped_column(Integer, default=0)
    extra_charged_minor: Mapped[int] = mapped_column(Integer, default=0)
    debt_minor: Mapped[int] = mapped_column(Integer, default=0)
    refunded_minor: Mapped[int] = mapped_column(Integer, default=0)
    cdr: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stop_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    billed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    idle_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    # OCPI roaming: the eMSP whose driver this session belongs to (with source "ocpi"), and what it told us
    ocpi_partner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ocpi_partners.id", ondelete="SET NULL"), index=True
    )
    ocpi_authorization_reference: Mapped[str | None] = mapped_column(String(36))
    ocpi_cdr_token: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # CdrToken: country_code, party_id, uid...
    ocpi_auth_method: Mapped[str | None] = mapped_column(String(16))  # AUTH_REQUEST | COMMAND | WHITELIST


class Device(Base):
    """A driver's phone (or other client) that receives notifications through the configured provider."""

    __tablename__ = "devices"
    __table_args__ = (UniqueConstraint("user_id", "token"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    token: Mapped[str] = mapped_column(String(512))
    name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class Notification(Base):
    """Every notification sent about a session, once per kind (so a restart never sends one twice)."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("session_id", "kind"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("charging_sessions.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(String(300))
