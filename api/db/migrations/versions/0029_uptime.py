"""uptime: the per-port outage log and the audited exclusions operators mark on it

Revision ID: 0029
Revises: 0026
Create Date: 2026-12-06 18:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import api.db.types

revision = "0029"
down_revision = "0027"
branch_labels = None
depends_on = None

_UTC = api.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "port_outages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("evse_id", sa.Uuid(), nullable=False),
        sa.Column("charging_station_id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("cause", sa.String(length=16), nullable=False),
        sa.Column("error_code", sa.String(length=50), nullable=True),
        sa.Column("ocpp_status", sa.String(length=24), nullable=True),
        sa.Column("started_at", _UTC, nullable=False),
        sa.Column("ended_at", _UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["evse_id"], ["evses.id"], name=op.f("fk_port_outages_evse_id_evses"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["charging_station_id"],
            ["charging_stations.id"],
            name=op.f("fk_port_outages_charging_station_id_charging_stations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_port_outages_location_id_locations"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_port_outages")),
    )
    op.create_index(
        "ix_port_outages_evse_started",
        "port_outages",
        ["evse_id", "started_at"],
        postgresql_include=["ended_at", "cause"],
    )
    op.create_index("ix_port_outages_started", "port_outages", ["started_at"])
    op.create_index(
        "uq_port_outages_open",
        "port_outages",
        ["evse_id"],
        unique=True,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.create_index(op.f("ix_port_outages_charging_station_id"), "port_outages", ["charging_station_id"])
    op.create_index(op.f("ix_port_outages_location_id"), "port_outages", ["location_id"])
    op.create_table(
        "uptime_exclusions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("evse_id", sa.Uuid(), nullable=True),
        sa.Column("charging_station_id", sa.Uuid(), nullable=True),
        sa.Column("location_id", sa.Uuid(), nullable=True),
        sa.Column("starts_at", _UTC, nullable=False),
        sa.Column("ends_at", _UTC, nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("withdrawn_at", _UTC, nullable=True),
        sa.Column("withdrawn_by", sa.Uuid(), nullable=True),
        sa.Column("withdrawal_reason", sa.String(length=1000), nullable=True),
        sa.CheckConstraint(
            "(CASE WHEN evse_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN charging_station_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN location_id IS NULL THEN 0 ELSE 1 END) = 1",
            name=op.f("ck_uptime_exclusions_one_target"),
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_uptime_exclusions_period")),
        sa.ForeignKeyConstraint(
            ["evse_id"], ["evses.id"], name=op.f("fk_uptime_exclusions_evse_id_evses"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["charging_station_id"],
            ["charging_stations.id"],
            name=op.f("fk_uptime_exclusions_charging_station_id_charging_stations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_uptime_exclusions_location_id_locations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_uptime_exclusions_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by"], ["users.id"], name=op.f("fk_uptime_exclusions_withdrawn_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uptime_exclusions")),
    )
    op.create_index("ix_uptime_exclusions_starts", "uptime_exclusions", ["starts_at"])
    op.create_index(op.f("ix_uptime_exclusions_evse_id"), "uptime_exclusions", ["evse_id"])
    op.create_index(op.f("ix_uptime_exclusions_charging_station_id"), "uptime_exclusions", ["charging_station_id"])
    op.create_index(op.f("ix_uptime_exclusions_location_id"), "uptime_exclusions", ["location_id"])


def downgrade() -> None:
    op.drop_table("uptime_exclusions")
    op.drop_table("port_outages")
