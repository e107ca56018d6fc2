"""alert detectors: payment attempts for the payment failure rate, and sessions by charger and time

Revision ID: 0034
Revises: 0029
Create Date: 2026-12-06 18:40:00.000000

`payment_attempts` keeps the outcome of every pre-authorisation and capture for two days, so every process counts
the same failure rate. The index on `charging_sessions (charging_station_id, created_at)` lets the failed-starts
detector read one charger's recent attempts without scanning every session.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import api.db.types

revision = "0034"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payment_attempts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("at", api.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("operation", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_payment_attempts_at", "payment_attempts", ["at"], unique=False)
    op.create_index(
        "ix_charging_sessions_station_created",
        "charging_sessions",
        ["charging_station_id", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_charging_sessions_station_created", table_name="charging_sessions")
    op.drop_index("ix_payment_attempts_at", table_name="payment_attempts")
    op.drop_table("payment_attempts")
