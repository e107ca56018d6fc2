"""The CDRs we issued to roaming partners: one per billed session of a partner's driver, written when it is billed.

A CDR never changes once issued (a correction would be a new credit CDR), so its OCPI document is stored whole:
the list a partner pages through is a plain indexed read, and the push and the list send the same bytes.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base
from api.db.types import UTCDateTime, utc_now


class OcpiCdr(Base):
    __tablename__ = "ocpi_cdrs"
    __table_args__ = (Index("ix_ocpi_cdrs_partner_last_updated", "ocpi_partner_id", "last_updated", "id"),)

    id: Mapped[str] = mapped_column(String(39), primary_key=True)  # the CDR id we sent (our session's id)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("charging_sessions.id", ondelete="CASCADE"), unique=True)
    ocpi_partner_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    last_updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
