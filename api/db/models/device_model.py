"""What 2.0.1 chargers report about themselves: their device model (components, variables, attributes and
characteristics), device-model events, variable monitors, and the progress of what was asked of them over time
(log uploads, customer information, display messages, reports, firmware publishing)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base
from api.db.types import UTCDateTime, utc_now

_ID = BigInteger().with_variant(Integer, "sqlite")


class ChargerVariable(Base):
    """One attribute of one variable of a charger's device model; ``key`` identifies it for upserts."""

    __tablename__ = "charger_variables"
    __table_args__ = (
        UniqueConstraint("charging_station_id", "key"),
        Index("ix_charger_variables_station_component", "charging_station_id", "component", "variable"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    charging_station_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("charging_stations.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(300))
    component: Mapped[str] = mapped_column(String(50))
    component_instance: Mapped[str | None] = mapped_column(String(50))
    evse_id: Mapped[int | None] = mapped_column(Integer)
    connector_id: Mapped[int | None] = mapped_column(Integer)
    variable: Mapped[str] = mapped_column(String(50))
    variable_instance: Mapped[str | None] = mapped_column(String(50))
    attribute_type: Mapped[str] = mapped_column(String(8), default="Actual")
    value: Mapped[str | None] = mapped_column(String(2500))
    mutability: Mapped[str | None] = mapped_column(String(10))
    persistent: Mapped[bool | None] = mapped_column(Boolean)
    constant: Mapped[bool | None] = mapped_column(Boolean)
    data_type: Mapped[str | None] = mapped_column(String(20))
    unit: Mapped[str | None] = mapped_column(String(16))
    min_limit: Mapped[float | None] = mapped_column(Float)
    max_limit: Mapped[float | None] = mapped_column(Float)
    values_list: Mapped[str | None] = mapped_column(String(1000))
    supports_monitoring: Mapped[bool | None] = mapped_column(Boolean)
    request_id: Mapped[int | None] = mapped_column(Integer)  # the report that last carried it (None: Get/Set)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class ChargerDeviceEvent(Base):
    """One event of a 2.0.1 NotifyEvent (a fault, an alert, a monitor that tripped)."""

    __tablename__ = "charger_device_events"
    __table_args__ = (
        UniqueConstraint("charging_station_id", "event_id", "timestamp"),
        Index("ix_charger_device_events_station_timestamp", "charging_station_id", "timestamp"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    charging_station_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("charging_stations.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(Integer)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    trigger: Mapped[str] = mapped_column(String(20))
    cause: Mapped[int | None] = mapped_column(Integer)
    actual_value: Mapped[str] = mapped_column(String(2500))
    tech_code: Mapped[str | None] = mapped_column(String(50))
    tech_info: Mapped[str | None] = mapped_column(String(500))
    cleared: Mapped[bool] = mapped_column(Boolean, default=False)
    transaction_id: Mapped[str | None] = mapped_column(String(36))
    component: Mapped[str] = mapped_column(String(50))
    component_instance: Mapped[str | None] = mapped_column(String(50))
    evse_id: Mapped[int | None] = mapped_column(Integer)
    connector_id: Mapped[int | None] = mapped_column(Integer)
    variable: Mapped[str] = mapped_column(String(50))
    variable_instance: Mapped[str | None] = mapped_column(String(50))
    variable_monitoring_id: Mapped[int | None] = mapped_column(Integer)
    notification_type: Mapped[str] = mapped_column(String(30))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class ChargerMonitor(Base):
    """A variable monitor a charger reported in NotifyMonitoringReport."""

    __tablename__ = "charger_monitors"
    __table_args__ = (UniqueConstraint("charging_station_id", "monitor_id"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    charging_station_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("charging_stations.id", ondelete="CASCADE"))
    monitor_id: Mapped[int] = mapped_column(Integer)
    component: Mapped[str] = mapped_column(String(50))
    component_instance: Mapped[str | None] = mapped_column(String(50))
    evse_id: Mapped[int | None] = mapped_column(Integer)
    connector_id: Mapped[int | None] = mapped_column(Integer)
    variable: Mapped[str] = mapped_column(String(50))
    variable_instance: Mapped[str | None] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(24))
    value: Mapped[float] = mapped_column(Float)
    severity: Mapped[int] = mapped_column(Integer)
    transaction: Mapped[bool] = mapped_column(Boolean, default=False)
    request_id: Mapped[int | None] = mapped_column(Integer)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class ChargerRequest(Base):
    """Progress of something asked of a charger that it answers over time, per request id: a log upload
    (``log``), customer information, display messages, a device-model or monitoring report, firmware publishing."""

    __tablename__ = "charger_requests"
    __table_args__ = (UniqueConstraint("charging_station_id", "kind", "request_id"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    charging_station_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("charging_stations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    request_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str | None] = mapped_column(String(40))
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    parts: Mapped[int] = mapped_column(Integer, default=0)
    data: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
