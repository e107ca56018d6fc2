"""ocpp security: per-charger security profile, security events, certificates issued by our CA and those
chargers report installed

Revision ID: 0016
Revises: 0011
Create Date: 2026-12-06 03:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import api.db.types


revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "charger_security_profiles",
        sa.Column("charging_station_id", sa.Uuid(), nullable=False),
        sa.Column("security_profile", sa.Integer(), nullable=False),
        sa.Column("updated_at", api.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["charging_station_id"], ["charging_stations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("charging_station_id"),
    )
    op.create_table(
        "charger_security_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("charging_station_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("timestamp", api.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", api.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tech_info", sa.String(length=255), nullable=True),
        sa.Column("critical", sa.Boolean(), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["charging_station_id"], ["charging_stations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_charger_security_events_station_at", "charger_security_events", ["charging_station_id", "timestamp"]
    )
    op.create_table(
        "charger_issued_certificates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("charging_station_id", sa.Uuid(), nullable=False),
        sa.Column("certificate_type", sa.String(length=32), nullable=False),
        sa.Column("serial_number", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("not_before", api.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("not_after", api.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("issued_at", api.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivery_status", sa.String(length=20), nullable=True),
        sa.Column("certificate", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["charging_station_id"], ["charging_stations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("serial_number"),
    )
    op.create_index(
        "ix_charger_issued_certificates_charging_station_id", "charger_issued_certificates", ["charging_station_id"]
    )
    op.create_table(
        "charger_installed_certificates",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("charging_station_id", sa.Uuid(), nullable=False),
        sa.Column("certificate_type", sa.String(length=40), nullable=True),
        sa.Column("hash_algorithm", sa.String(length=8), nullable=False),
        sa.Column("issuer_name_hash", sa.String(length=128), nullable=False),
        sa.Column("issuer_key_hash", sa.String(length=128), nullable=False),
        sa.Column("serial_number", sa.String(length=40), nullable=False),
        sa.Column("reported_at", api.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["charging_station_id"], ["charging_stations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_charger_installed_certificates_charging_station_id",
        "charger_installed_certificates",
        ["charging_station_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_charger_installed_certificates_charging_station_id", table_name="charger_installed_certificates")
    op.drop_table("charger_installed_certificates")
    op.drop_index("ix_charger_issued_certificates_charging_station_id", table_name="charger_issued_certificates")
    op.drop_table("charger_issued_certificates")
    op.drop_index("ix_charger_security_events_station_at", table_name="charger_security_events")
    op.drop_table("charger_security_events")
    op.drop_table("charger_security_profiles")
