"""What the central system keeps about authorisation at chargers: reservations and each charger's local list."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base
from api.db.types import UTCDateTime, utc_now


class Reservation(Base):
    """A connector (or EVSE; 0 = any of the charger's) held for one id token until `expires_at`.

    `id` is the OCPP reservationId. Status: Pending (sent, not yet answered), Active, Used (a transaction consumed
    it), Expired, Cancelled, Removed (the charger dropped it), Rejected (the charger refused it).
    """

    __tablename__ = "reservations"
    __table_args__ = (Index("ix_reservations_status_expires", "status", "expires_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    charging_station_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("charging_stations.id", ondelete="CASCADE"), index=True
    )
    connector_id: Mapped[int] = mapped_column(Integer, default=0)
    id_token: Mapped[str] = mapped_column(String(36))
    group_id: Mapped[str | None] = mapped_column(String(36))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="Pending")
    ocpp_transaction_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    # a roaming partner's reservation (OCPI RESERVE_NOW): its partner and its own reservation_id
    ocpi_partner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ocpi_partners.id", ondelete="SET NULL"), index=True
    )
    ocpi_reservation_id: Mapped[str | None] = mapped_column(String(36))


class ChargerLocalList(Base):
    """The local authorisation list version a charger holds as far as we know (0: none or unknown)."""

    __tablename__ = "charger_local_lists"

    charging_station_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("charging_stations.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, default=0)
    entries: Mapped[int] = mapped_column(Integer, default=0)
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the last full list or update it accepted
    last_status: Mapped[str | None] = mapped_column(String(24))
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a full list wanted (e.g. from the CLI)
    cache_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # blocked tokens seen up to then
