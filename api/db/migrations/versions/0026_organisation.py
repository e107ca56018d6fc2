"""organisation: regions, business units, the operator's scope, and each location's place in them

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 18:40:00.000000

The two location columns are added in place, without a foreign key (see upgrade).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import api.db.types

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

_UTC = api.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "regions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "business_units",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "operator_scopes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=True),
        sa.Column("business_unit_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint(
            "(region_id IS NULL) <> (business_unit_id IS NULL)", name="one_grouping"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["business_unit_id"], ["business_units.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "region_id", "business_unit_id"),
    )
    op.create_index("ix_operator_scopes_user_id", "operator_scopes", ["user_id"])
    # Plain columns, no foreign key: adding a constrained column to `locations` on SQLite needs a copy of the table,
    # which would drop its OCPI triggers and cascade into its EVSEs; removing a region or business unit clears them.
    for column in ("region_id", "business_unit_id"):
        op.add_column("locations", sa.Column(column, sa.Uuid(), nullable=True))
        op.create_index(f"ix_locations_{column}", "locations", [column])


def downgrade() -> None:
    for column in ("business_unit_id", "region_id"):
        op.drop_index(f"ix_locations_{column}", table_name="locations")
        op.drop_column("locations", column)
    op.drop_index("ix_operator_scopes_user_id", table_name="operator_scopes")
    op.drop_table("operator_scopes")
    op.drop_table("business_units")
    op.drop_table("regions")
