"""smart charging: the charging profiles set on chargers and reported by them, and what EVs ask for

Revision ID: 0015
Revises: 0011
Create Date: 2026-12-06 03:15:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import api.db.types


revision = "0015"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "charging_profiles",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("charging_station_id", sa.Uuid(), nullable=False),
        sa.Column("evse_id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("stack_level", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("transaction_id", sa.String(length=36), nullable=True),
        sa.Column("valid_from", api.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("valid_to", api.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=100), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("charging_limit_source", sa.String(length=8), nullable=True),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("created_at", api.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["charging_station_id"], ["charging_stations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_charging_profiles_station_profile", "charging_profiles", ["charging_station_id", "profile_id"]
    )
    op.create_table(
        "ev_charging_needs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("charging_station_id", sa.Uuid(), nullable=False),
        sa.Column("evse_id", sa.Integer(), nullable=False),
        sa.Column("received_at", api.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("requested_energy_transfer", sa.String(length=16), nullable=False),
        sa.Column("departure_time", api.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("energy_amount_wh", sa.Float(), nullable=True),
        sa.Column("ev_max_power_w", sa.Float(), nullable=True),
        sa.Column("ev_max_current_a", sa.Float(), nullable=True),
        sa.Column("ev_min_current_a", sa.Float(), nullable=True),
        sa.Column("ev_max_voltage_v", sa.Float(), nullable=True),
        sa.Column("state_of_charge", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["charging_station_id"], ["charging_stations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_ev_charging_needs_station_evse", "ev_charging_needs", ["charging_station_id", "evse_id", "received_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_ev_charging_needs_station_evse", table_name="ev_charging_needs")
    op.drop_table("ev_charging_needs")
    op.drop_index("ix_charging_profiles_station_profile", table_name="charging_profiles")
    op.drop_table("charging_profiles")
