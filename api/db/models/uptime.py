"""The outage log and the exclusions operators mark on it: the two facts uptime is computed from."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Index, Integer, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base
from api.db.types import UTCDateTime, utc_now

OUTAGE_CAUSES = ("offline", "fault", "unavailable", "maintenance")


class PortOutage(Base):
    """One interval when a port (an EVSE of our own charger) could not charge, open (`ended_at` None) until it can.

    `cause`: offline (the charger's connection was lost), fault (Faulted / OUTOFORDER, with the OCPP error code),
    unavailable (Unavailable / INOPERATIVE as the charger reported it), maintenance (set so by the maintenance
    work, excluded from uptime by itself). At most one interval per port is open: the partial unique index lets
    several processes record the same change without doubling it.
    """

    __tablename__ = "port_outages"
    __table_args__ = (
        # covering on PostgreSQL: uptime reads each port's intervals in start order from the index alone
        Index("ix_port_outages_evse_started", "evse_id", "started_at", postgresql_include=["ended_at", "cause"]),
        Index("ix_port_outages_started", "started_at"),
        Index(
            "uq_port_outages_open",
            "evse_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    evse_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("evses.id", ondelete="CASCADE"))
    charging_station_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("charging_stations.id", ondelete="CASCADE"), index=True
    )
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), index=True)
    cause: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(50))
    ocpp_status: Mapped[str | None] = mapped_column(String(24))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UptimeExclusion(Base):
    """A period an operator marks as not counting against uptime (23 CFR 680.116(b)), for a port, a charger or a
    location (exactly one of the three ids). Never deleted: withdrawing it stamps who, when and why."""

    __tablename__ = "uptime_exclusions"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN evse_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN charging_station_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN location_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_target",
        ),
        CheckConstraint("ends_at > starts_at", name="period"),
        Index("ix_uptime_exclusions_starts", "starts_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    evse_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("evses.id", ondelete="CASCADE"), index=True)
    charging_station_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("charging_stations.id", ondelete="CASCADE"), index=True
    )
    location_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    category: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(1000))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    withdrawal_reason: Mapped[str | None] = mapped_column(String(1000))


class PortUptimeDay(Base):
    """One port's outage and excluded seconds on one UTC day, for the days before `UptimeRollup.rolled_until`: a
    year's uptime sums these instead of walking every outage. Only days with an outage have a row."""

    __tablename__ = "port_uptime_days"

    evse_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("evses.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    outage_seconds: Mapped[float] = mapped_column(Float)
    excluded_seconds: Mapped[float] = mapped_column(Float)


class UptimeRollup(Base):
    """The one row saying up to which UTC day (exclusive) `port_uptime_days` is complete; None before the first
    roll."""

    __tablename__ = "uptime_rollup"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rolled_until: Mapped[date | None] = mapped_column(Date)
