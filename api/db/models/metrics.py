"""Rollups behind the operators' metrics: per charger, per day and per month, kept up to date as sessions finish.

A report over a year of 5,000 chargers reads month rows plus the day rows of the partial months at its edges,
never the sessions themselves. Days, weekdays and hours are the location's local
ones. `metrics_driver_firsts` remembers which driver has charged before (by a hash of who they are, so no personal
data is copied), which makes a finished session a first-time driver's or a returning one's.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Float, ForeignKey, Index, Integer, SmallInteger, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base
from api.db.types import UTCDateTime

HOUR_COLUMNS = tuple(f"h{hour:02d}" for hour in range(24))


class ChargerRollup(Base):
    """What one charger did in one local day (`grain` day) or one local month (`grain` month), per currency.

    A completed session counts on the local day it started; a failed start on the day it was asked for."""

    __tablename__ = "metrics_charger_rollups"
    __table_args__ = (Index("ix_metrics_charger_rollups_location", "grain", "location_id", "period_start"),)

    grain: Mapped[str] = mapped_column(String(5), primary_key=True)  # day | month
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)  # the day, or the month's first day
    charging_station_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("charging_stations.id", ondelete="CASCADE"), primary_key=True
    )
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    sessions: Mapped[int] = mapped_column(Integer, default=0)  # completed sessions
    failed_starts: Mapped[int] = mapped_column(Integer, default=0)  # starts the charger did not carry out
    energy_wh: Mapped[float] = mapped_column(Float, default=0.0)
    duration_seconds: Mapped[float] = mapped_column(Float, default=0.0)  # plugged in: start to end
    delivering_seconds: Mapped[float] = mapped_column(Float, default=0.0)  # of which energy flowed
    revenue_minor: Mapped[int] = mapped_column(BigInteger, default=0)  # billed, in the currency's minor unit
    first_time_drivers: Mapped[int] = mapped_column(Integer, default=0)  # sessions that were a driver's first


class ChargerHours(Base):
    """Completed sessions of one charger by local starting hour, for the hour x weekday heatmap: per local day
    (`grain` day), or per weekday of a local month (`grain` month)."""

    __tablename__ = "metrics_charger_hours"
    __table_args__ = (Index("ix_metrics_charger_hours_location", "grain", "location_id", "period_start"),)

    grain: Mapped[str] = mapped_column(String(5), primary_key=True)  # day | month
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)  # the day, or the month's first day
    weekday: Mapped[int] = mapped_column(SmallInteger, primary_key=True)  # 0 Monday ... 6 Sunday
    charging_station_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("charging_stations.id", ondelete="CASCADE"), primary_key=True
    )
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    h00: Mapped[int] = mapped_column(Integer, default=0)
    h01: Mapped[int] = mapped_column(Integer, default=0)
    h02: Mapped[int] = mapped_column(Integer, default=0)
    h03: Mapped[int] = mapped_column(Integer, default=0)
    h04: Mapped[int] = mapped_column(Integer, default=0)
    h05: Mapped[int] = mapped_column(Integer, default=0)
    h06: Mapped[int] = mapped_column(Integer, default=0)
    h07: Mapped[int] = mapped_column(Integer, default=0)
    h08: Mapped[int] = mapped_column(Integer, default=0)
    h09: Mapped[int] = mapped_column(Integer, default=0)
    h10: Mapped[int] = mapped_column(Integer, default=0)
    h11: Mapped[int] = mapped_column(Integer, default=0)
    h12: Mapped[int] = mapped_column(Integer, default=0)
    h13: Mapped[int] = mapped_column(Integer, default=0)
    h14: Mapped[int] = mapped_column(Integer, default=0)
    h15: Mapped[int] = mapped_column(Integer, default=0)
    h16: Mapped[int] = mapped_column(Integer, default=0)
    h17: Mapped[int] = mapped_column(Integer, default=0)
    h18: Mapped[int] = mapped_column(Integer, default=0)
    h19: Mapped[int] = mapped_column(Integer, default=0)
    h20: Mapped[int] = mapped_column(Integer, default=0)
    h21: Mapped[int] = mapped_column(Integer, default=0)
    h22: Mapped[int] = mapped_column(Integer, default=0)
    h23: Mapped[int] = mapped_column(Integer, default=0)


class DriverFirstSession(Base):
    """The first finished session of each driver (user, guest email or charge card), keyed by a hash."""

    __tablename__ = "metrics_driver_firsts"

    driver_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)
