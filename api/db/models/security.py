"""What OCPP security records per charger: its security profile, the security events it reported, and the
certificates our CA issued to it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base
from api.db.types import UTCDateTime, utc_now


class ChargerSecurityProfile(Base):
    """A charger's OCPP security profile: 3 = TLS with a client certificate and no password; none stored = 1/2."""

    __tablename__ = "charger_security_profiles"

    charging_station_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("charging_stations.id", ondelete="CASCADE"), primary_key=True
    )
    security_profile: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class SecurityEventRecord(Base):
    """One SecurityEventNotification; ``critical`` per the spec's list of critical security events."""

    __tablename__ = "charger_security_events"
    __table_args__ = (Index("ix_charger_security_events_station_at", "charging_station_id", "timestamp"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    charging_station_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("charging_stations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(50))
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)  # as the charger stamped it
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    tech_info: Mapped[str | None] = mapped_column(String(255))
    critical: Mapped[bool] = mapped_column(Boolean, default=False)
    message_id: Mapped[str] = mapped_column(String(64), default="")


class IssuedCertificate(Base):
    """A certificate our CA signed for a charger in answer to its SignCertificate."""

    __tablename__ = "charger_issued_certificates"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    charging_station_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("charging_stations.id", ondelete="CASCADE"), index=True
    )
    certificate_type: Mapped[str] = mapped_column(String(32))
    serial_number: Mapped[str] = mapped_column(String(40), unique=True)  # hex, no leading zeroes
    subject: Mapped[str] = mapped_column(String(255))
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    not_after: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    delivery_status: Mapped[str | None] = mapped_column(String(20))  # the charger's CertificateSigned answer
    certificate: Mapped[str] = mapped_column(Text)  # PEM


class InstalledCertificateRecord(Base):
    """A certificate a charger said it holds (its last GetInstalledCertificateIds answers), by OCPP hash data."""

    __tablename__ = "charger_installed_certificates"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    charging_station_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("charging_stations.id", ondelete="CASCADE"), index=True
    )
    certificate_type: Mapped[str | None] = mapped_column(String(40))
    hash_algorithm: Mapped[str] = mapped_column(String(8))
    issuer_name_hash: Mapped[str] = mapped_column(String(128))
    issuer_key_hash: Mapped[str] = mapped_column(String(128))
    serial_number: Mapped[str] = mapped_column(String(40))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
