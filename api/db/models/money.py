"""Site-host agreements: what the owner of a site (a car park, a supermarket, a hotel) earns from the sessions
charged at that location, as a share of net revenue or a fixed amount per kWh, over the dates it is valid."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base
from api.db.types import UTCDateTime, utc_now


class HostAgreement(Base):
    """One location's agreement with its site host.

    `basis`: `percent` (`rate` is the percentage of net revenue, "12.5") or `per_kwh` (`rate` is the amount per kWh
    in `currency`, "0.05"). `valid_from` and `valid_to` are UTC calendar days, both included; `valid_to` empty:
    open-ended. The agreements of one location never overlap (checked when one is written).
    """

    __tablename__ = "host_agreements"
    __table_args__ = (Index("ix_host_agreements_location_from", "location_id", "valid_from"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    host_name: Mapped[str] = mapped_column(String(200), index=True)
    contact: Mapped[str] = mapped_column(String(300), default="")
    basis: Mapped[str] = mapped_column(String(8))  # percent | per_kwh
    rate: Mapped[str] = mapped_column(String(32))  # decimal text
    currency: Mapped[str | None] = mapped_column(String(3))  # per_kwh only
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    updated_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
