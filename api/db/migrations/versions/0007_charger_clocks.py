"""charger clocks: estimated clock offset per charger, the charger-time order of live statuses, transaction
starts as the charger stamped them, and meter readings placed on our timeline

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 22:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import api.db.types


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("charging_stations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("clock_offset_seconds", sa.Float(), nullable=True))

    with op.batch_alter_table("evses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_reported_at", api.db.types.UTCDateTime(timezone=True), nullable=True))
    # a live status so far was ordered by its charger's own stamp: keep that as its order
    op.execute("UPDATE evses SET status_reported_at = status_updated_at WHERE status_source = 'live'")

    with op.batch_alter_table("charging_transactions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("charger_started_at", api.db.types.UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE charging_transactions SET charger_started_at = started_at")

    with op.batch_alter_table("meter_samples", schema=None) as batch_op:
        batch_op.add_column(sa.Column("at", api.db.types.UTCDateTime(timezone=True), nullable=True))
    op.execute('UPDATE meter_samples SET "at" = "timestamp"')
    with op.batch_alter_table("meter_samples", schema=None) as batch_op:
        batch_op.alter_column("at", existing_type=api.db.types.UTCDateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("meter_samples", schema=None) as batch_op:
        batch_op.drop_column("at")
    with op.batch_alter_table("charging_transactions", schema=None) as batch_op:
        batch_op.drop_column("charger_started_at")
    with op.batch_alter_table("evses", schema=None) as batch_op:
        batch_op.drop_column("status_reported_at")
    with op.batch_alter_table("charging_stations", schema=None) as batch_op:
        batch_op.drop_column("clock_offset_seconds")
