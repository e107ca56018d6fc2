"""support desk: ticket workflow columns, ticket messages and the ticket audit trail

Revision ID: 0017
Revises: 0012
Create Date: 2026-12-06 06:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import api.db.types

revision = "0017"
down_revision = "0012"
branch_labels = None
depends_on = None

_UTC = api.db.types.UTCDateTime(timezone=True)
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("support_tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=16), nullable=False, server_default="assistant"))
        batch_op.add_column(sa.Column("category", sa.String(length=40), nullable=False, server_default="other"))
        batch_op.add_column(sa.Column("tags", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("assignee_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("session_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("location_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("evse_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("dedupe_key", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("first_response_due_at", _UTC, nullable=True))
        batch_op.add_column(sa.Column("resolution_due_at", _UTC, nullable=True))
        batch_op.add_column(sa.Column("first_responded_at", _UTC, nullable=True))
        batch_op.add_column(sa.Column("solved_at", _UTC, nullable=True))
        batch_op.add_column(sa.Column("closed_at", _UTC, nullable=True))
        batch_op.add_column(sa.Column("merged_into_id", _ID, nullable=True))
        batch_op.add_column(sa.Column("rating", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("rating_comment", sa.String(length=2000), nullable=True))
        batch_op.add_column(sa.Column("rated_at", _UTC, nullable=True))
        batch_op.add_column(sa.Column("urgent_notified_at", _UTC, nullable=True))
        batch_op.add_column(sa.Column("sla_warned_at", _UTC, nullable=True))
        batch_op.create_foreign_key(
            "fk_support_tickets_assignee_id_users", "users", ["assignee_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_foreign_key(
            "fk_support_tickets_session_id_charging_sessions",
            "charging_sessions",
            ["session_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            "fk_support_tickets_location_id_locations", "locations", ["location_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_foreign_key(
            "fk_support_tickets_evse_id_evses", "evses", ["evse_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_foreign_key(
            "fk_support_tickets_merged_into_id_support_tickets",
            "support_tickets",
            ["merged_into_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index("ix_support_tickets_assignee_id", ["assignee_id"], unique=False)
        batch_op.create_index("ix_support_tickets_category", ["category"], unique=False)
        batch_op.create_index("ix_support_tickets_charger_id", ["charger_id"], unique=False)
        batch_op.create_index("ix_support_tickets_dedupe_key", ["dedupe_key"], unique=False)
        batch_op.create_index("ix_support_tickets_resolution_due_at", ["resolution_due_at"], unique=False)
        batch_op.create_index("ix_support_tickets_status_priority", ["status", "priority"], unique=False)
    # Tickets the assistant opened before: their category is the recognised intent.
    op.execute("UPDATE support_tickets SET category = intent")

    op.create_table(
        "support_ticket_messages",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("ticket_id", _ID, nullable=False),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column("author_role", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("text", sa.String(length=8000), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["ticket_id"], ["support_tickets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_support_ticket_messages_ticket_at", "support_ticket_messages", ["ticket_id", "created_at"], unique=False
    )
    op.create_table(
        "support_ticket_events",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("ticket_id", _ID, nullable=False),
        sa.Column("at", _UTC, nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_role", sa.String(length=16), nullable=False),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["ticket_id"], ["support_tickets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_support_ticket_events_ticket_at", "support_ticket_events", ["ticket_id", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_support_ticket_events_ticket_at", table_name="support_ticket_events")
    op.drop_table("support_ticket_events")
    op.drop_index("ix_support_ticket_messages_ticket_at", table_name="support_ticket_messages")
    op.drop_table("support_ticket_messages")
    with op.batch_alter_table("support_tickets", schema=None) as batch_op:
        for index in (
            "ix_support_tickets_status_priority",
            "ix_support_tickets_resolution_due_at",
            "ix_support_tickets_dedupe_key",
            "ix_support_tickets_charger_id",
            "ix_support_tickets_category",
            "ix_support_tickets_assignee_id",
        ):
            batch_op.drop_index(index)
        for constraint in (
            "fk_support_tickets_merged_into_id_support_tickets",
            "fk_support_tickets_evse_id_evses",
            "fk_support_tickets_location_id_locations",
            "fk_support_tickets_session_id_charging_sessions",
            "fk_support_tickets_assignee_id_users",
        ):
            batch_op.drop_constraint(constraint, type_="foreignkey")
        for column in (
            "sla_warned_at",
            "urgent_notified_at",
            "rated_at",
            "rating_comment",
            "rating",
            "merged_into_id",
            "closed_at",
            "solved_at",
            "first_responded_at",
            "resolution_due_at",
            "first_response_due_at",
            "dedupe_key",
            "evse_id",
            "location_id",
            "session_id",
            "assignee_id",
            "tags",
            "category",
            "source",
        ):
            batch_op.drop_column(column)
