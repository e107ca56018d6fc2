"""charger registration: BootNotification status per charger, password rotation state, and the audit of
commands operators send to chargers

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 03:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import api.db.types


revision = "0012"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("charging_stations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("registration_status", sa.String(length=16), nullable=False, server_default="accepted")
        )
        batch_op.add_column(sa.Column("pending_password_hash", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("password_rotation", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("password_rotated_at", api.db.types.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "charger_commands_audit",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("charging_station_id", sa.Uuid(), nullable=False),
        sa.Column("admin_id", sa.Uuid(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("at", api.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.String(length=255), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["charging_station_id"],
            ["charging_stations.id"],
            name=op.f("fk_charger_commands_audit_charging_station_id_charging_stations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charger_commands_audit")),
    )
    op.create_index(
        "ix_charger_commands_audit_station_at", "charger_commands_audit", ["charging_station_id", "at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_charger_commands_audit_station_at", table_name="charger_commands_audit")
    op.drop_table("charger_commands_audit")
    with op.batch_alter_table("charging_stations", schema=None) as batch_op:
        batch_op.drop_column("password_rotated_at")
        batch_op.drop_column("password_rotation")
        batch_op.drop_column("pending_password_hash")
        batch_op.drop_column("registration_status")
