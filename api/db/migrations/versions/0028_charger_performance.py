"""charger performance: power baselines per SoC band, judged sessions, raised flags and fault sightings

Revision ID: 0028
Revises: 0032
Create Date: 2026-12-06 19:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import api.db.types

revision = "0028"
down_revision = "0032"
branch_labels = None
depends_on = None

_UTC = api.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "power_baselines",
        sa.Column("charging_station_id", sa.Uuid(), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("soc_band", sa.Integer(), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.Column("power_w", sa.Float(), nullable=False),
        sa.Column("recent_w", sa.JSON(), nullable=False),
        sa.Column("updated_at", _UTC, nullable=False),
        sa.ForeignKeyConstraint(["charging_station_id"], ["charging_stations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("charging_station_id", "connector_id", "soc_band"),
    )
    op.create_table(
        "session_performance",
        sa.Column("transaction_id", sa.Uuid(), nullable=False),
        sa.Column("charging_station_id", sa.Uuid(), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("started_at", _UTC, nullable=False),
        sa.Column("ended_at", _UTC, nullable=False),
        sa.Column("energy_wh", sa.Float(), nullable=False),
        sa.Column("judged", sa.Boolean(), nullable=False),
        sa.Column("derating", sa.Boolean(), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=True),
        sa.Column("delivered_w", sa.Float(), nullable=True),
        sa.Column("expected_w", sa.Float(), nullable=True),
        sa.Column("ratio", sa.Float(), nullable=True),
        sa.Column("rating_w", sa.Float(), nullable=True),
        sa.Column("ev_max_power_w", sa.Float(), nullable=True),
        sa.Column("soc_start", sa.Float(), nullable=True),
        sa.Column("soc_end", sa.Float(), nullable=True),
        sa.Column("limited", sa.Boolean(), nullable=False),
        sa.Column("band_power_w", sa.JSON(), nullable=False),
        sa.Column("anomalies", sa.JSON(), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.ForeignKeyConstraint(["charging_station_id"], ["charging_stations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["transaction_id"], ["charging_transactions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("transaction_id"),
    )
    op.create_index(
        "ix_session_performance_station_connector_ended",
        "session_performance",
        ["charging_station_id", "connector_id", "ended_at"],
        unique=False,
    )
    op.create_table(
        "performance_flags",
        sa.Column("charging_station_id", sa.Uuid(), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("since", _UTC, nullable=True),
        sa.Column("ratio", sa.Float(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("updated_at", _UTC, nullable=False),
        sa.ForeignKeyConstraint(["charging_station_id"], ["charging_stations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("charging_station_id", "connector_id", "rule"),
    )
    op.create_index("ix_performance_flags_active", "performance_flags", ["active"], unique=False)
    op.create_table(
        "fault_sightings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("charging_station_id", sa.Uuid(), nullable=False),
        sa.Column("error_code", sa.String(length=50), nullable=False),
        sa.Column("vendor", sa.String(length=50), nullable=False),
        sa.Column("model", sa.String(length=50), nullable=False),
        sa.Column("firmware_version", sa.String(length=50), nullable=False),
        sa.Column("first_at", _UTC, nullable=False),
        sa.Column("last_at", _UTC, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["charging_station_id"], ["charging_stations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("charging_station_id", "error_code", "firmware_version"),
    )
    op.create_index(
        "ix_fault_sightings_pattern",
        "fault_sightings",
        ["model", "firmware_version", "error_code", "last_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_fault_sightings_pattern", table_name="fault_sightings")
    op.drop_table("fault_sightings")
    op.drop_index("ix_performance_flags_active", table_name="performance_flags")
    op.drop_table("performance_flags")
    op.drop_index("ix_session_performance_station_connector_ended", table_name="session_performance")
    op.drop_table("session_performance")
    op.drop_table("power_baselines")
