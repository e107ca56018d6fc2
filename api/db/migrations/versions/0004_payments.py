"""payments: provider customers, webhook events, labels on RFID tokens

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 05:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import api.db.types


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('payment_customers',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('customer_reference', sa.String(length=255), nullable=False),
    sa.Column('default_payment_method', sa.String(length=255), nullable=True),
    sa.Column('created_at', api.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', api.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_payment_customers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_payment_customers')),
    sa.UniqueConstraint('customer_reference', name=op.f('uq_payment_customers_customer_reference'))
    )
    op.create_table('payment_webhook_events',
    sa.Column('event_id', sa.String(length=255), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('type', sa.String(length=80), nullable=False),
    sa.Column('reference', sa.String(length=255), nullable=True),
    sa.Column('amount_minor', sa.BigInteger(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('received_at', api.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('handled_at', api.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_payment_webhook_events'))
    )
    with op.batch_alter_table('payment_webhook_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_webhook_events_reference'), ['reference'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_webhook_events_type'), ['type'], unique=False)

    with op.batch_alter_table('id_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('label', sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('id_tokens', schema=None) as batch_op:
        batch_op.drop_column('label')

    with op.batch_alter_table('payment_webhook_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_webhook_events_type'))
        batch_op.drop_index(batch_op.f('ix_payment_webhook_events_reference'))

    op.drop_table('payment_webhook_events')
    op.drop_table('payment_customers')
