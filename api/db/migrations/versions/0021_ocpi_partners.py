"""ocpi partners: the platforms that exchanged OCPI credentials with us, and roaming sessions' partner

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 09:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import api.db.types

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

_UTC = api.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ocpi_partners",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("party_id", sa.String(length=3), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("token_a_hash", sa.String(length=64), nullable=True),
        sa.Column("token_c_hash", sa.String(length=64), nullable=True),
        sa.Column("token_b_encrypted", sa.Text(), nullable=True),
        sa.Column("versions_url", sa.String(length=2000), nullable=True),
        sa.Column("version", sa.String(length=16), nullable=True),
        sa.Column("endpoints", sa.JSON(), nullable=True),
        sa.Column("roles", sa.JSON(), nullable=True),
        sa.Column("registered_by", sa.String(length=8), nullable=True),
        sa.Column("registered_at", _UTC, nullable=True),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("updated_at", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("country_code", "party_id", "role"),
        sa.UniqueConstraint("token_a_hash"),
        sa.UniqueConstraint("token_c_hash"),
    )
    with op.batch_alter_table("charging_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ocpi_partner_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("ocpi_authorization_reference", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("ocpi_cdr_token", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("ocpi_auth_method", sa.String(length=16), nullable=True))
        batch_op.create_index("ix_charging_sessions_ocpi_partner_id", ["ocpi_partner_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_charging_sessions_ocpi_partner_id_ocpi_partners",
            "ocpi_partners",
            ["ocpi_partner_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("charging_sessions", schema=None) as batch_op:
        batch_op.drop_constraint("fk_charging_sessions_ocpi_partner_id_ocpi_partners", type_="foreignkey")
        batch_op.drop_index("ix_charging_sessions_ocpi_partner_id")
        batch_op.drop_column("ocpi_auth_method")
        batch_op.drop_column("ocpi_cdr_token")
        batch_op.drop_column("ocpi_authorization_reference")
        batch_op.drop_column("ocpi_partner_id")
    op.drop_table("ocpi_partners")
