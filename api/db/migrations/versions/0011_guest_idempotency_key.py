"""guest idempotency key: one guest session per email address and Idempotency-Key, whichever process answers

Guest starts did not need a key before; keys that earlier guest starts happened to send were never used to find
a session again, so they are cleared rather than risk two equal ones blocking the index.

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-06 00:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None

_GUEST = "user_id IS NULL AND idempotency_key IS NOT NULL"


def upgrade() -> None:
    op.execute(sa.text("UPDATE charging_sessions SET idempotency_key = NULL WHERE user_id IS NULL"))
    op.create_index(
        "ux_charging_sessions_guest_key",
        "charging_sessions",
        ["guest_email", "idempotency_key"],
        unique=True,
        sqlite_where=sa.text(_GUEST),
        postgresql_where=sa.text(_GUEST),
    )


def downgrade() -> None:
    op.drop_index("ux_charging_sessions_guest_key", table_name="charging_sessions")
