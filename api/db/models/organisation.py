"""How locations are grouped (regions and business units) and which of them an operator looks after."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base
from api.db.types import UTCDateTime, utc_now


class Region(Base):
    """A geographic grouping of locations (e.g. "North", "Bavaria")."""

    __tablename__ = "regions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class BusinessUnit(Base):
    """An organisational grouping of locations (e.g. a franchise, a fleet depot business, a retail partnership)."""

    __tablename__ = "business_units"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class OperatorScope(Base):
    """One grant of an operator's: every location of a region, or of a business unit (exactly one of the two)."""

    __tablename__ = "operator_scopes"
    __table_args__ = (
        UniqueConstraint("user_id", "region_id", "business_unit_id"),
        CheckConstraint("(region_id IS NULL) <> (business_unit_id IS NULL)", name="one_grouping"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    region_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"))
    business_unit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("business_units.id", ondelete="CASCADE"))
