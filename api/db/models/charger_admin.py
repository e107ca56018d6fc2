"""What operators did to chargers over OCPP: every command sent through an admin path, with its outcome."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base
from api.db.types import UTCDateTime, utc_now


class ChargerCommandAudit(Base):
    """One command an operator sent to a charger (admin API or CLI); the payload never holds a secret."""

    __tablename__ = "charger_commands_audit"
    __table_args__ = (Index("ix_charger_commands_audit_station_at", "charging_station_id", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    charging_station_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("charging_stations.id", ondelete="CASCADE"))
    admin_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # None: the command line
    actor: Mapped[str] = mapped_column(String(64))  # "admin <user id>" or "cli"
    action: Mapped[str] = mapped_column(String(64))  # an OCPP action, a registry command or an operation
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    outcome: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
