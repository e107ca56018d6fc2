"""uptime rolled up per port and UTC day, and the day up to which the roll-up is complete

Revision ID: 0035
Revises: 0031
Create Date: 2026-12-06 22:00:00.000000

The roll-up starts empty (`rolled_until` null): the first outage-log sweep, or the first uptime report, rolls every
day of the existing outage log up.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "port_uptime_days",
        sa.Column("evse_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("outage_seconds", sa.Float(), nullable=False),
        sa.Column("excluded_seconds", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["evse_id"], ["evses.id"], name=op.f("fk_port_uptime_days_evse_id_evses"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("evse_id", "day", name=op.f("pk_port_uptime_days")),
    )
    rollup = op.create_table(
        "uptime_rollup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rolled_until", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uptime_rollup")),
    )
    op.bulk_insert(rollup, [{"id": 1, "rolled_until": None}])


def downgrade() -> None:
    op.drop_table("uptime_rollup")
    op.drop_table("port_uptime_days")
