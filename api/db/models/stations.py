"""Locations, EVSEs, connectors and the OCPP charging stations that serve them (OCPI 2.2.1 vocabulary)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base
from api.db.types import UTCDateTime, utc_now


class ChangeCounter(Base):
    """A counter bumped once by every transaction that changes a catalogue.

    The row stays locked until the writer commits, so revisions become visible in order and a process
    that polls `revision > last seen` misses nothing, on SQLite and PostgreSQL alike.
    """

    __tablename__ = "change_counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger, default=0)


class Location(Base):
    __tablename__ = "locations"
    __table_args__ = (
        UniqueConstraint("country_code", "party_id", "ocpi_id"),
        # OCPI partners page through one party's locations by last_updated (date_from / date_to)
        Index("ix_locations_party_last_updated", "country_code", "party_id", "last_updated"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    country_code: Mapped[str] = mapped_column(String(2))
    party_id: Mapped[str] = mapped_column(String(3))
    ocpi_id: Mapped[str] = mapped_column(String(36))
    source: Mapped[str] = mapped_column(String(100))
    name: Mapped[str | None] = mapped_column(String(255))
    address: Mapped[str] = mapped_column(String(255))
    city: Mapped[str] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    state: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(3))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    time_zone: Mapped[str] = mapped_column(String(64))
    operator_name: Mapped[str | None] = mapped_column(String(255))
    parking_type: Mapped[str | None] = mapped_column(String(32))
    facilities: Mapped[list[str]] = mapped_column(JSON, default=list)
    opening_times: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    publish: Mapped[bool] = mapped_column(Boolean, default=True)
    last_updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    revision: Mapped[int] = mapped_column(BigInteger, default=0, index=True)
    fingerprint: Mapped[str] = mapped_column(String(32), default="")
    # OCPI PublishTokenType objects: who may still see this location while publish is false
    publish_allowed_to: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # moved on by database triggers whenever anything an OCPI partner sees of this location changes, except live
    # status: a stored OCPI document built at another version is stale (see api/domain/ocpi/location_documents.py)
    ocpi_content_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # how operators group their sites (api/db/models/organisation.py); operators see the locations of their groups.
    # No foreign key (see migration 0026): removing a region or business unit clears these in the same transaction.
    region_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    business_unit_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)


class ChargingStation(Base):
    """A charger that connects to us over OCPP; it serves some EVSEs of one location."""

    __tablename__ = "charging_stations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    ocpp_id: Mapped[str] = mapped_column(String(48), unique=True)
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), index=True)
    vendor: Mapped[str | None] = mapped_column(String(50))
    model: Mapped[str | None] = mapped_column(String(50))
    firmware_version: Mapped[str | None] = mapped_column(String(50))
    ocpp_version: Mapped[str | None] = mapped_column(String(8))
    connected: Mapped[bool] = mapped_column(Boolean, default=False)
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    password_hash: Mapped[str | None] = mapped_column(String(128))
    serial_number: Mapped[str | None] = mapped_column(String(50))
    held_by: Mapped[str | None] = mapped_column(String(64), index=True)  # the process holding its socket
    # its clock minus ours, estimated from the timestamps it sends (see api/domain/chargers/clock.py)
    clock_offset_seconds: Mapped[float | None] = mapped_column(Float)
    # BootNotification answer: accepted, pending (onboarded, waiting for an operator) or blocked (Rejected)
    registration_status: Mapped[str] = mapped_column(String(16), default="accepted", server_default="accepted")
    # a new secret sent to the charger: accepted alongside password_hash until the charger connects with it
    pending_password_hash: Mapped[str | None] = mapped_column(String(128))
    # where that rotation stands: sent, accepted (by the charger) or unconfirmed (no answer)
    password_rotation: Mapped[str | None] = mapped_column(String(16))
    password_rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Evse(Base):
    __tablename__ = "evses"
    __table_args__ = (UniqueConstraint("location_id", "uid"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), index=True)
    uid: Mapped[str] = mapped_column(String(36))
    emi3_evse_id: Mapped[str | None] = mapped_column(String(48), index=True)
    status: Mapped[str] = mapped_column(String(16), default="UNKNOWN")
    status_source: Mapped[str] = mapped_column(String(8), default="reported")
    status_updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    # when the live status happened by its charger's clock, placed on ours: only ever compared with the same
    # charger's reports, never with times the server stamped (provisioning, imports); None until it reports
    status_reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    capabilities: Mapped[list[str]] = mapped_column(JSON, default=list)
    physical_reference: Mapped[str | None] = mapped_column(String(64))  # feeds exceed OCPI's 16; drivers need it whole
    floor_level: Mapped[str | None] = mapped_column(String(4))
    charging_station_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("charging_stations.id", ondelete="SET NULL"), index=True
    )
    ocpp_evse_id: Mapped[int | None] = mapped_column(Integer)
    ocpp_status: Mapped[str | None] = mapped_column(String(24))
    error_code: Mapped[str | None] = mapped_column(String(50))
    last_updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class Connector(Base):
    __tablename__ = "connectors"
    __table_args__ = (UniqueConstraint("evse_id", "connector_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    evse_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("evses.id", ondelete="CASCADE"), index=True)
    connector_id: Mapped[str] = mapped_column(String(36))
    standard: Mapped[str] = mapped_column(String(32))
    format: Mapped[str] = mapped_column(String(8))
    power_type: Mapped[str] = mapped_column(String(20))
    max_voltage: Mapped[int | None] = mapped_column(Integer)
    max_amperage: Mapped[int | None] = mapped_column(Integer)
    max_electric_power: Mapped[int | None] = mapped_column(Integer)
    tariff_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    last_updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class Tariff(Base):
    """An OCPI tariff, kept as its OCPI JSON document so nothing the spec allows is lost."""

    __tablename__ = "tariffs"
    __table_args__ = (UniqueConstraint("country_code", "party_id", "tariff_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    country_code: Mapped[str] = mapped_column(String(2))
    party_id: Mapped[str] = mapped_column(String(3))
    tariff_id: Mapped[str] = mapped_column(String(36))
    currency: Mapped[str] = mapped_column(String(3))
    document: Mapped[str] = mapped_column(String)
    last_updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    revision: Mapped[int] = mapped_column(BigInteger, default=0, index=True)


class Favourite(Base):
    __tablename__ = "favourites"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class StationReport(Base):
    """A driver's problem report about a location or one EVSE, for support agents."""

    __tablename__ = "station_reports"
    __table_args__ = (Index("ix_station_reports_status_created_at", "status", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), index=True)
    evse_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("evses.id", ondelete="SET NULL"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    category: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(String(2000), default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
