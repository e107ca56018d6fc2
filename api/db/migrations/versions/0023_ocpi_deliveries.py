"""OCPI deliveries: an HTTP method per delivery, the roaming partner it goes to, ordering and coalescing per object;
the CDRs issued to partners

Revision ID: 0023
Revises: 0021
Create Date: 2026-12-06 09:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import api.db.types

revision = "0023"
down_revision = "0021"
branch_labels = None
depends_on = None

_UTC = api.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ocpi_cdrs",
        sa.Column("id", sa.String(length=39), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("ocpi_partner_id", sa.Uuid(), nullable=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("last_updated", _UTC, nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["charging_sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id"),
    )
    op.create_index("ix_ocpi_cdrs_partner_last_updated", "ocpi_cdrs", ["ocpi_partner_id", "last_updated", "id"])
    with op.batch_alter_table("outbound_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("method", sa.String(length=8), nullable=False, server_default="POST"))
        batch_op.add_column(sa.Column("ocpi_partner_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("object_key", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("coalesce", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("claimed_until", _UTC, nullable=True))
        batch_op.create_index("ix_outbound_deliveries_ocpi_partner_id", ["ocpi_partner_id"], unique=False)
        batch_op.create_index(
            "ix_outbound_deliveries_object_key_status", ["object_key", "status", "created_at"], unique=False
        )


def downgrade() -> None:
    op.drop_index("ix_ocpi_cdrs_partner_last_updated", table_name="ocpi_cdrs")
    op.drop_table("ocpi_cdrs")
    with op.batch_alter_table("outbound_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_outbound_deliveries_object_key_status")
        batch_op.drop_index("ix_outbound_deliveries_ocpi_partner_id")
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("coalesce")
        batch_op.drop_column("object_key")
        batch_op.drop_column("ocpi_partner_id")
        batch_op.drop_column("method")
