"""host agreements: site hosts' revenue share per location; session indexes for the money reports

Revision ID: 0032
Revises: 0026
Create Date: 2026-12-06 19:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import api.db.types

revision = "0032"
down_revision = "0026"
branch_labels = None
depends_on = None

_UTC = api.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "host_agreements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("host_name", sa.String(length=200), nullable=False),
        sa.Column("contact", sa.String(length=300), nullable=False),
        sa.Column("basis", sa.String(length=8), nullable=False),
        sa.Column("rate", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("updated_at", _UTC, nullable=False),
        sa.ForeignKeyConstraint(["location_id"], ["locations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_host_agreements_host_name", "host_agreements", ["host_name"])
    op.create_index("ix_host_agreements_location_from", "host_agreements", ["location_id", "valid_from"])
    # the reconciliation reads a period's bills, the statements a site's sessions by end time
    op.create_index("ix_charging_sessions_billed_at", "charging_sessions", ["billed_at"])
    op.create_index("ix_charging_sessions_location_ended", "charging_sessions", ["location_id", "ended_at"])


def downgrade() -> None:
    op.drop_index("ix_charging_sessions_location_ended", table_name="charging_sessions")
    op.drop_index("ix_charging_sessions_billed_at", table_name="charging_sessions")
    op.drop_index("ix_host_agreements_location_from", table_name="host_agreements")
    op.drop_index("ix_host_agreements_host_name", table_name="host_agreements")
    op.drop_table("host_agreements")
