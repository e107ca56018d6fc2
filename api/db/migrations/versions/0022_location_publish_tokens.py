"""locations: OCPI publish_allowed_to, and an index for partners paging by last_updated

Revision ID: 0022
Revises: 0024
Create Date: 2026-12-06 09:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("publish_allowed_to", sa.JSON(), nullable=True))
        batch_op.create_index(
            "ix_locations_party_last_updated", ["country_code", "party_id", "last_updated"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.drop_index("ix_locations_party_last_updated")
        batch_op.drop_column("publish_allowed_to")
