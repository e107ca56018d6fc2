"""delivery outbox: outbound deliveries to other systems; agents' on-duty flag for support alerts

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-06 06:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import api.db.types

revision = "0019"
down_revision = "0017"
branch_labels = None
depends_on = None

_UTC = api.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "outbound_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _UTC, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("delivered_at", _UTC, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_outbound_deliveries_status_next_attempt_at",
        "outbound_deliveries",
        ["status", "next_attempt_at"],
        unique=False,
    )
    op.create_index("ix_outbound_deliveries_target", "outbound_deliveries", ["target"], unique=False)
    op.create_index("ix_outbound_deliveries_created_at", "outbound_deliveries", ["created_at"], unique=False)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("on_duty", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("on_duty")
    op.drop_index("ix_outbound_deliveries_created_at", table_name="outbound_deliveries")
    op.drop_index("ix_outbound_deliveries_target", table_name="outbound_deliveries")
    op.drop_index("ix_outbound_deliveries_status_next_attempt_at", table_name="outbound_deliveries")
    op.drop_table("outbound_deliveries")
