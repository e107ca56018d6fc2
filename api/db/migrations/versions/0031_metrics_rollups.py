"""metrics rollups: per charger per local day and month, sessions by local hour, each driver's first session

Revision ID: 0031
Revises: 0032
Create Date: 2026-12-06 18:50:00.000000

The rollups start empty: sessions finished before this revision are counted once `voltway metrics rebuild` has
run (it recomputes every rollup from the sessions).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import api.db.types

revision = "0031"
down_revision = "0034"
branch_labels = None
depends_on = None

_UTC = api.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "metrics_charger_rollups",
        sa.Column("grain", sa.String(length=5), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("charging_station_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.Column("failed_starts", sa.Integer(), nullable=False),
        sa.Column("energy_wh", sa.Float(), nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=False),
        sa.Column("delivering_seconds", sa.Float(), nullable=False),
        sa.Column("revenue_minor", sa.BigInteger(), nullable=False),
        sa.Column("first_time_drivers", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["charging_station_id"], ["charging_stations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["location_id"], ["locations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("grain", "period_start", "charging_station_id", "currency"),
    )
    op.create_index(
        "ix_metrics_charger_rollups_location", "metrics_charger_rollups", ["grain", "location_id", "period_start"]
    )
    op.create_table(
        "metrics_charger_hours",
        sa.Column("grain", sa.String(length=5), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("charging_station_id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        *[sa.Column(f"h{hour:02d}", sa.Integer(), nullable=False) for hour in range(24)],
        sa.ForeignKeyConstraint(["charging_station_id"], ["charging_stations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["location_id"], ["locations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("grain", "period_start", "weekday", "charging_station_id"),
    )
    op.create_index(
        "ix_metrics_charger_hours_location", "metrics_charger_hours", ["grain", "location_id", "period_start"]
    )
    op.create_table(
        "metrics_driver_firsts",
        sa.Column("driver_hash", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("first_at", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("driver_hash"),
    )


def downgrade() -> None:
    op.drop_table("metrics_driver_firsts")
    op.drop_index("ix_metrics_charger_hours_location", table_name="metrics_charger_hours")
    op.drop_table("metrics_charger_hours")
    op.drop_index("ix_metrics_charger_rollups_location", table_name="metrics_charger_rollups")
    op.drop_table("metrics_charger_rollups")
