"""What charger performance monitoring keeps: each connector's normal power per state-of-charge band, every ended
session's judgement, the conditions raised per connector now, and the faults seen per firmware version."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base
from api.db.types import UTCDateTime, utc_now


class PowerBaseline(Base):
    """What a connector normally delivers in one SoC band: the lower quartile of its recent normal sessions' steady
    power there (`recent_w`, newest last, a bounded list), updated as each session ends."""

    __tablename__ = "power_baselines"

    charging_station_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("charging_stations.id", ondelete="CASCADE"), primary_key=True
    )
    connector_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    soc_band: Mapped[int] = mapped_column(Integer, primary_key=True)  # lower bound: 0, 20, 40, 60, 80
    sessions: Mapped[int] = mapped_column(Integer, default=0)
    power_w: Mapped[float] = mapped_column(Float)
    recent_w: Mapped[list[float]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class SessionPerformance(Base):
    """One ended transaction judged: delivered against expected below the SoC threshold, and its meter anomalies."""

    __tablename__ = "session_performance"
    __table_args__ = (
        Index("ix_session_performance_station_connector_ended", "charging_station_id", "connector_id", "ended_at"),
    )

    transaction_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("charging_transactions.id", ondelete="CASCADE"), primary_key=True
    )
    charging_station_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("charging_stations.id", ondelete="CASCADE"))
    connector_id: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    energy_wh: Mapped[float] = mapped_column(Float, default=0.0)
    judged: Mapped[bool] = mapped_column(Boolean, default=False)
    derating: Mapped[bool] = mapped_column(Boolean, default=False)
    basis: Mapped[str | None] = mapped_column(String(16))  # rating, ev_request or baseline
    delivered_w: Mapped[float | None] = mapped_column(Float)
    expected_w: Mapped[float | None] = mapped_column(Float)
    ratio: Mapped[float | None] = mapped_column(Float)
    rating_w: Mapped[float | None] = mapped_column(Float)
    ev_max_power_w: Mapped[float | None] = mapped_column(Float)
    soc_start: Mapped[float | None] = mapped_column(Float)
    soc_end: Mapped[float | None] = mapped_column(Float)
    limited: Mapped[bool] = mapped_column(Boolean, default=False)  # a smart-charging limit of ours held it
    band_power_w: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    anomalies: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class PerformanceFlag(Base):
    """A condition this monitoring holds on a connector now (``derating``, ``energy_anomaly``), so a change is
    reported once and the operators' list reads one row per connector."""

    __tablename__ = "performance_flags"

    charging_station_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("charging_stations.id", ondelete="CASCADE"), primary_key=True
    )
    connector_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule: Mapped[str] = mapped_column(String(32), primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ratio: Mapped[float | None] = mapped_column(Float)  # derating: the worst of the sessions that raised it
    detail: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class FaultSighting(Base):
    """A fault (error code) seen on a charger while it ran one firmware version: fleet patterns count these."""

    __tablename__ = "fault_sightings"
    __table_args__ = (
        UniqueConstraint("charging_station_id", "error_code", "firmware_version"),
        Index("ix_fault_sightings_pattern", "model", "firmware_version", "error_code", "last_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    charging_station_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("charging_stations.id", ondelete="CASCADE"))
    error_code: Mapped[str] = mapped_column(String(50))
    vendor: Mapped[str] = mapped_column(String(50), default="")
    model: Mapped[str] = mapped_column(String(50), default="")
    firmware_version: Mapped[str] = mapped_column(String(50), default="")
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(Integer, default=1)
