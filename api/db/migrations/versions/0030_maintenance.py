"""maintenance: preventive schedules, work orders with their checklists, comments and audit; EVSEs held out of
service by a work order (status_source "maintenance", with the reason drivers read)

Revision ID: 0030
Revises: 0028
Create Date: 2026-12-06 18:30:00.000000

`evses.status_source` grows from 8 to 16 characters to hold "maintenance". On SQLite only the declared length
changes (both are TEXT to SQLite, no stored value moves), so the table's definition is edited in place as SQLite
documents for such changes: rebuilding the table instead would drop the OCPI triggers on it and, with foreign keys
on, cascade the drop to its connectors.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import api.db.types

revision = "0030"
down_revision = "0028"
branch_labels = None
depends_on = None

_UTC = api.db.types.UTCDateTime(timezone=True)


def _status_source_length(old: int, new: int) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.alter_column(
            "evses", "status_source", type_=sa.String(length=new), existing_type=sa.String(length=old), nullable=False
        )
        return
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = replace(sql, 'status_source VARCHAR({0})', 'status_source VARCHAR({1})') "
        "WHERE type = 'table' AND name = 'evses'".format(old, new)  # noqa: UP032 - constants, not input
    )
    bind.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema=OFF")


def upgrade() -> None:
    op.create_table(
        "maintenance_schedules",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("charger_id", sa.String(length=48), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("every", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("occurrence", sa.Integer(), nullable=False),
        sa.Column("first_occurrence", sa.Integer(), nullable=False),
        sa.Column("next_due_on", sa.Date(), nullable=False),
        sa.Column("lead_days", sa.Integer(), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("checklist", sa.JSON(), nullable=False),
        sa.Column("takes_out_of_service", sa.Boolean(), nullable=False),
        sa.Column("assignee_id", sa.Uuid(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("updated_at", _UTC, nullable=False),
        sa.ForeignKeyConstraint(["location_id"], ["locations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["assignee_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_maintenance_schedules_location_id", "maintenance_schedules", ["location_id"])
    op.create_index("ix_maintenance_schedules_opens_on", "maintenance_schedules", ["opens_on"])
    op.create_table(
        "work_orders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("charger_id", sa.String(length=48), nullable=True),
        sa.Column("schedule_id", sa.Uuid(), nullable=True),
        sa.Column("occurrence", sa.Integer(), nullable=True),
        sa.Column("alert_id", sa.Uuid(), nullable=True),
        sa.Column("ticket_ids", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assignee_id", sa.Uuid(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("takes_out_of_service", sa.Boolean(), nullable=False),
        sa.Column("service_reason", sa.String(length=200), nullable=True),
        sa.Column("held_evses", sa.JSON(), nullable=False),
        sa.Column("closing_notes", sa.String(length=4000), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("updated_at", _UTC, nullable=False),
        sa.Column("started_at", _UTC, nullable=True),
        sa.Column("closed_at", _UTC, nullable=True),
        sa.ForeignKeyConstraint(["location_id"], ["locations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["schedule_id"], ["maintenance_schedules.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["assignee_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("schedule_id", "occurrence"),
    )
    op.create_index("ix_work_orders_location_id", "work_orders", ["location_id"])
    op.create_index("ix_work_orders_charger_id", "work_orders", ["charger_id"])
    op.create_index("ix_work_orders_alert_id", "work_orders", ["alert_id"])
    op.create_index("ix_work_orders_assignee_id", "work_orders", ["assignee_id"])
    op.create_index("ix_work_orders_status_due_on", "work_orders", ["status", "due_on"])
    op.create_table(
        "work_order_checklist_items",
        sa.Column("work_order_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("done_by", sa.Uuid(), nullable=True),
        sa.Column("done_at", _UTC, nullable=True),
        sa.ForeignKeyConstraint(["work_order_id"], ["work_orders.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["done_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("work_order_id", "position"),
    )
    op.create_table(
        "work_order_comments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("work_order_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("body", sa.String(length=4000), nullable=False),
        sa.Column("at", _UTC, nullable=False),
        sa.ForeignKeyConstraint(["work_order_id"], ["work_orders.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_work_order_comments_work_order_id", "work_order_comments", ["work_order_id"])
    op.create_table(
        "maintenance_audit",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("schedule_id", sa.Uuid(), nullable=True),
        sa.Column("work_order_id", sa.Uuid(), nullable=True),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("at", _UTC, nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_maintenance_audit_schedule_id", "maintenance_audit", ["schedule_id"])
    op.create_index("ix_maintenance_audit_work_order_id", "maintenance_audit", ["work_order_id"])
    _status_source_length(8, 16)
    op.add_column("evses", sa.Column("status_reason", sa.String(length=200), nullable=True))


def downgrade() -> None:
    # an EVSE still held by a work order goes back to its charger's word, which its next report gives
    op.execute("UPDATE evses SET status_source = 'live' WHERE status_source = 'maintenance'")
    with op.batch_alter_table("evses", recreate="never") as batch:
        batch.drop_column("status_reason")
    _status_source_length(16, 8)
    op.drop_table("maintenance_audit")
    op.drop_table("work_order_comments")
    op.drop_table("work_order_checklist_items")
    op.drop_table("work_orders")
    op.drop_table("maintenance_schedules")
