"""ocpi tokens pushed by eMSPs, and roaming partners' reservations

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 09:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import api.db.types

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

_UTC = api.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ocpi_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("party_id", sa.String(length=3), nullable=False),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("contract_id", sa.String(length=36), nullable=False),
        sa.Column("visual_number", sa.String(length=64), nullable=True),
        sa.Column("issuer", sa.String(length=64), nullable=False),
        sa.Column("group_id", sa.String(length=36), nullable=True),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column("whitelist", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=True),
        sa.Column("default_profile_type", sa.String(length=16), nullable=True),
        sa.Column("energy_contract", sa.JSON(), nullable=True),
        sa.Column("last_updated", _UTC, nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["ocpi_partners.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("country_code", "party_id", "uid", "type"),
    )
    op.create_index("ix_ocpi_tokens_uid", "ocpi_tokens", ["uid"], unique=False)
    op.create_index("ix_ocpi_tokens_partner_id", "ocpi_tokens", ["partner_id"], unique=False)
    op.create_index("ix_ocpi_tokens_last_updated", "ocpi_tokens", ["last_updated"], unique=False)
    with op.batch_alter_table("reservations") as batch:
        batch.add_column(sa.Column("ocpi_partner_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("ocpi_reservation_id", sa.String(length=36), nullable=True))
        batch.create_foreign_key(
            "fk_reservations_ocpi_partner_id", "ocpi_partners", ["ocpi_partner_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_reservations_ocpi_partner_id", ["ocpi_partner_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reservations") as batch:
        batch.drop_index("ix_reservations_ocpi_partner_id")
        batch.drop_constraint("fk_reservations_ocpi_partner_id", type_="foreignkey")
        batch.drop_column("ocpi_reservation_id")
        batch.drop_column("ocpi_partner_id")
    op.drop_index("ix_ocpi_tokens_last_updated", table_name="ocpi_tokens")
    op.drop_index("ix_ocpi_tokens_partner_id", table_name="ocpi_tokens")
    op.drop_index("ix_ocpi_tokens_uid", table_name="ocpi_tokens")
    op.drop_table("ocpi_tokens")
