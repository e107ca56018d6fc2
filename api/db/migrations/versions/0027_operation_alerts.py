"""operation alerts: one row per charger problem while it lasts, its history, rule overrides, sent digests

Revision ID: 0027
Revises: 0028
Create Date: 2026-12-06 18:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import api.db.types

revision = "0027"
down_revision = "0030"
branch_labels = None
depends_on = None

_UTC = api.db.types.UTCDateTime(timezone=True)
_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "operation_alerts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("live_key", sa.String(length=200), nullable=True),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("charger_id", sa.String(length=48), nullable=True),
        sa.Column("connector_id", sa.Integer(), nullable=True),
        sa.Column("location_id", sa.Uuid(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("condition_active", sa.Boolean(), nullable=False),
        sa.Column("first_seen_at", _UTC, nullable=False),
        sa.Column("last_seen_at", _UTC, nullable=False),
        sa.Column("cleared_since", _UTC, nullable=True),
        sa.Column("opened_at", _UTC, nullable=True),
        sa.Column("acknowledged_at", _UTC, nullable=True),
        sa.Column("acknowledged_by", sa.Uuid(), nullable=True),
        sa.Column("assigned_to", sa.Uuid(), nullable=True),
        sa.Column("resolved_at", _UTC, nullable=True),
        sa.Column("resolved_by", sa.Uuid(), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.Column("auto_resolved", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("escalated_at", _UTC, nullable=True),
        sa.Column("notified_at", _UTC, nullable=True),
        sa.Column("digested_at", _UTC, nullable=True),
        sa.Column("ticket_id", _BIGINT, nullable=True),
        sa.Column("updated_at", _UTC, nullable=False),
        sa.ForeignKeyConstraint(["acknowledged_by"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["assigned_to"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["resolved_by"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["ticket_id"], ["support_tickets.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("live_key"),
    )
    op.create_index("ix_operation_alerts_state_severity", "operation_alerts", ["state", "severity"])
    op.create_index("ix_operation_alerts_opened_at", "operation_alerts", ["opened_at"])
    op.create_index("ix_operation_alerts_charger_id", "operation_alerts", ["charger_id"])
    op.create_index("ix_operation_alerts_rule", "operation_alerts", ["rule"])
    op.create_index("ix_operation_alerts_location_id", "operation_alerts", ["location_id"])
    op.create_index("ix_operation_alerts_assigned_to", "operation_alerts", ["assigned_to"])
    op.create_table(
        "operation_alert_events",
        sa.Column("id", _BIGINT, autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("at", _UTC, nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_name", sa.String(length=255), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["alert_id"], ["operation_alerts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_operation_alert_events_alert_id", "operation_alert_events", ["alert_id"])
    op.create_table(
        "alert_rule_overrides",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=True),
        sa.Column("raise_after_seconds", sa.Integer(), nullable=True),
        sa.Column("clear_after_seconds", sa.Integer(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("updated_at", _UTC, nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "operation_alert_digests",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sent_at", _UTC, nullable=False),
        sa.Column("alerts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )


def downgrade() -> None:
    op.drop_table("operation_alert_digests")
    op.drop_table("alert_rule_overrides")
    op.drop_index("ix_operation_alert_events_alert_id", table_name="operation_alert_events")
    op.drop_table("operation_alert_events")
    for name in ("assigned_to", "location_id", "rule", "charger_id", "opened_at", "state_severity"):
        op.drop_index(f"ix_operation_alerts_{name}", table_name="operation_alerts")
    op.drop_table("operation_alerts")
