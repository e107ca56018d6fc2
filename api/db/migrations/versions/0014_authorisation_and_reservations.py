"""authorisation: token expiry and groups, reservations, per-charger local list versions, remote start ids

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-06 03:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import api.db.types


revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("id_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", api.db.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("group_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("updated_at", api.db.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_id_tokens_group_id", ["group_id"], unique=False)
        batch_op.create_index("ix_id_tokens_updated_at", ["updated_at"], unique=False)
        batch_op.create_index("ix_id_tokens_expires_at", ["expires_at"], unique=False)

    with op.batch_alter_table("charging_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("remote_start_id", sa.Integer(), nullable=True))

    op.create_table(
        "reservations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("charging_station_id", sa.Uuid(), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("id_token", sa.String(length=36), nullable=False),
        sa.Column("group_id", sa.String(length=36), nullable=True),
        sa.Column("expires_at", api.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ocpp_transaction_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", api.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["charging_station_id"], ["charging_stations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_reservations_charging_station_id", "reservations", ["charging_station_id"])
    op.create_index("ix_reservations_status_expires", "reservations", ["status", "expires_at"])

    op.create_table(
        "charger_local_lists",
        sa.Column("charging_station_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("synced_at", api.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.String(length=24), nullable=True),
        sa.Column("requested_at", api.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cache_checked_at", api.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["charging_station_id"], ["charging_stations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("charging_station_id"),
    )


def downgrade() -> None:
    op.drop_table("charger_local_lists")
    op.drop_index("ix_reservations_status_expires", table_name="reservations")
    op.drop_index("ix_reservations_charging_station_id", table_name="reservations")
    op.drop_table("reservations")
    with op.batch_alter_table("charging_sessions", schema=None) as batch_op:
        batch_op.drop_column("remote_start_id")
    with op.batch_alter_table("id_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_id_tokens_expires_at")
        batch_op.drop_index("ix_id_tokens_updated_at")
        batch_op.drop_index("ix_id_tokens_group_id")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("group_id")
        batch_op.drop_column("expires_at")
