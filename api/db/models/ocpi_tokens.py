"""Roaming drivers' tokens that eMSPs push to us (OCPI tokens module, CPO side as receiver).

A token is identified by the issuing party (country_code, party_id), its uid and type; each belongs to the partner
that pushed it, and only that partner reads or changes it. Chargers' Authorize consults these rows for uids that are
not our own drivers' cards.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base
from api.db.types import UTCDateTime, utc_now


class OcpiToken(Base):
    """One OCPI Token as its eMSP last sent it (whitelist: ALWAYS, ALLOWED, ALLOWED_OFFLINE or NEVER)."""

    __tablename__ = "ocpi_tokens"
    __table_args__ = (
        UniqueConstraint("country_code", "party_id", "uid", "type"),
        Index("ix_ocpi_tokens_uid", "uid"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ocpi_partners.id", ondelete="CASCADE"), index=True)
    country_code: Mapped[str] = mapped_column(String(2))
    party_id: Mapped[str] = mapped_column(String(3))
    uid: Mapped[str] = mapped_column(String(36))
    type: Mapped[str] = mapped_column(String(16))
    contract_id: Mapped[str] = mapped_column(String(36))
    visual_number: Mapped[str | None] = mapped_column(String(64))
    issuer: Mapped[str] = mapped_column(String(64))
    group_id: Mapped[str | None] = mapped_column(String(36))
    valid: Mapped[bool] = mapped_column(Boolean)
    whitelist: Mapped[str] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(2))
    default_profile_type: Mapped[str | None] = mapped_column(String(16))
    energy_contract: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    last_updated: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
