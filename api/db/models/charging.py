"""What the OCPP bridge records: charger credentials and connectivity, RFID tokens, transactions and meter samples."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base
from api.db.types import UTCDateTime, utc_now


class BridgeProcess(Base):
    """A running process that holds charger sockets; rows that stop beating belong to dead processes."""

    __tablename__ = "bridge_processes"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    host: Mapped[str] = mapped_column(String(255), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    last_beat: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, index=True)


class IdTokenRecord(Base):
    """An RFID card / fob (or app token) a driver presents at a charger."""

    __tablename__ = "id_tokens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    uid: Mapped[str] = mapped_column(String(64), unique=True)
    type: Mapped[str] = mapped_column(String(16), default="RFID")
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="Accepted")
    label: Mapped[str | None] = mapped_column(String(100))  # the driver's name for the card ("blue fob")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)  # answered Expired from then on
    group_id: Mapped[str | None] = mapped_column(String(36), index=True)  # OCPP groupIdToken / 1.6 parentIdTag
    # when it last changed: local lists and authorisation caches of chargers follow it
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True, default=utc_now, onupdate=utc_now)


class ChargingTransaction(Base):
    """One OCPP transaction as the charger reported it; sessions for drivers build on it."""

    __tablename__ = "charging_transactions"
    __table_args__ = (
        UniqueConstraint("charging_station_id", "ocpp_transaction_id"),
        Index(
            "ix_charging_transactions_station_connector_started", "charging_station_id", "connector_id", "started_at"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    charging_station_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("charging_stations.id", ondelete="CASCADE"))
    evse_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("evses.id", ondelete="SET NULL"), index=True)
    connector_id: Mapped[int] = mapped_column(Integer)
    ocpp_transaction_id: Mapped[str] = mapped_column(String(36))
    id_token: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)  # on our timeline (see chargers/clock.py)
    charger_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # as the charger stamped it
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    meter_start_wh: Mapped[float | None] = mapped_column(Float)
    meter_stop_wh: Mapped[float | None] = mapped_column(Float)
    energy_wh: Mapped[float] = mapped_column(Float, default=0.0)
    power_w: Mapped[float | None] = mapped_column(Float)
    soc_percent: Mapped[float | None] = mapped_column(Float)
    charging_state: Mapped[str | None] = mapped_column(String(24))
    stop_reason: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class MeterSampleRecord(Base):
    """One meter reading of a transaction; (transaction, timestamp) is unique so replays are ignored.

    `timestamp` is the charger's own stamp (the reading's identity); `at` is that moment on our timeline, which
    orders and bills the readings even when the charger's clock is wrong (see api/domain/chargers/clock.py)."""

    __tablename__ = "meter_samples"
    __table_args__ = (UniqueConstraint("transaction_id", "timestamp"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    transaction_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("charging_transactions.id", ondelete="CASCADE"))
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    energy_wh: Mapped[float | None] = mapped_column(Float)
    power_w: Mapped[float | None] = mapped_column(Float)
    soc_percent: Mapped[float | None] = mapped_column(Float)
    current_a: Mapped[float | None] = mapped_column(Float)
    voltage_v: Mapped[float | None] = mapped_column(Float)
    context: Mapped[str | None] = mapped_column(String(32))


class ChargerLogEntry(Base):
    """Notable things a charger said (faults, firmware and diagnostics progress, security events, reports)."""

    __tablename__ = "charger_log"
    __table_args__ = (Index("ix_charger_log_station_at", "charging_station_id", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    charging_station_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("charging_stations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
