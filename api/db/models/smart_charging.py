"""What smart charging records: the charging profiles we set on chargers (and what became of them), the profiles
chargers report, and what EVs ask for (OCPP 2.0.1 NotifyEVChargingNeeds)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base
from api.db.types import UTCDateTime, utc_now


class ChargingProfileRecord(Base):
    """One charging profile on one charger's EVSE (0 = the whole charger).

    ``source`` is ``csms`` for a profile we set (``status``: Pending until the charger answers, then Accepted,
    Rejected or NotSupported; Replaced by a later profile with its id, Cleared once cleared, Ended with its
    transaction) or ``charger`` for one the charger reported (``status`` Reported, with the report's
    ``request_id`` and ``charging_limit_source``)."""

    __tablename__ = "charging_profiles"
    __table_args__ = (Index("ix_charging_profiles_station_profile", "charging_station_id", "profile_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    charging_station_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("charging_stations.id", ondelete="CASCADE"))
    evse_id: Mapped[int] = mapped_column(Integer)
    profile_id: Mapped[int] = mapped_column(Integer)
    stack_level: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))
    transaction_id: Mapped[str | None] = mapped_column(String(36))
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(100))
    request_id: Mapped[int | None] = mapped_column(Integer)
    charging_limit_source: Mapped[str | None] = mapped_column(String(8))
    profile: Mapped[dict[str, Any]] = mapped_column(JSON)  # the profile in the OCPP 2.0.1 shape
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class EVChargingNeedsRecord(Base):
    """What an EV asked for at a charger's EVSE (energy, power, departure), newest last."""

    __tablename__ = "ev_charging_needs"
    __table_args__ = (Index("ix_ev_charging_needs_station_evse", "charging_station_id", "evse_id", "received_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    charging_station_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("charging_stations.id", ondelete="CASCADE"))
    evse_id: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    requested_energy_transfer: Mapped[str] = mapped_column(String(16))
    departure_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    energy_amount_wh: Mapped[float | None] = mapped_column(Float)
    ev_max_power_w: Mapped[float | None] = mapped_column(Float)
    ev_max_current_a: Mapped[float | None] = mapped_column(Float)
    ev_min_current_a: Mapped[float | None] = mapped_column(Float)
    ev_max_voltage_v: Mapped[float | None] = mapped_column(Float)
    state_of_charge: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
