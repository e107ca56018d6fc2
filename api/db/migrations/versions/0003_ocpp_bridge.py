"""ocpp bridge: credentials, processes, tokens, transactions, meter samples

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 03:36:12.306131
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import api.db.types


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bridge_processes',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('started_at', api.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_beat', api.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bridge_processes'))
    )
    with op.batch_alter_table('bridge_processes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bridge_processes_last_beat'), ['last_beat'], unique=False)

    op.create_table('id_tokens',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('uid', sa.String(length=64), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', api.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_id_tokens_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_id_tokens')),
    sa.UniqueConstraint('uid', name=op.f('uq_id_tokens_uid'))
    )
    with op.batch_alter_table('id_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_id_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('charger_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('charging_station_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('at', api.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['charging_station_id'], ['charging_stations.id'], name=op.f('fk_charger_log_charging_station_id_charging_stations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_charger_log'))
    )
    with op.batch_alter_table('charger_log', schema=None) as batch_op:
        batch_op.create_index('ix_charger_log_station_at', ['charging_station_id', 'at'], unique=False)

    op.create_table('charging_transactions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('charging_station_id', sa.Uuid(), nullable=False),
    sa.Column('evse_id', sa.Uuid(), nullable=True),
    sa.Column('connector_id', sa.Integer(), nullable=False),
    sa.Column('ocpp_transaction_id', sa.String(length=36), nullable=False),
    sa.Column('id_token', sa.String(length=64), nullable=True),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('started_at', api.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', api.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('meter_start_wh', sa.Float(), nullable=True),
    sa.Column('meter_stop_wh', sa.Float(), nullable=True),
    sa.Column('energy_wh', sa.Float(), nullable=False),
    sa.Column('power_w', sa.Float(), nullable=True),
    sa.Column('soc_percent', sa.Float(), nullable=True),
    sa.Column('charging_state', sa.String(length=24), nullable=True),
    sa.Column('stop_reason', sa.String(length=40), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('updated_at', api.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['charging_station_id'], ['charging_stations.id'], name=op.f('fk_charging_transactions_charging_station_id_charging_stations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['evse_id'], ['evses.id'], name=op.f('fk_charging_transactions_evse_id_evses'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_charging_transactions_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_charging_transactions')),
    sa.UniqueConstraint('charging_station_id', 'ocpp_transaction_id', name=op.f('uq_charging_transactions_charging_station_id_ocpp_transaction_id'))
    )
    with op.batch_alter_table('charging_transactions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_charging_transactions_evse_id'), ['evse_id'], unique=False)
        batch_op.create_index('ix_charging_transactions_station_connector_started', ['charging_station_id', 'connector_id', 'started_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_charging_transactions_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_charging_transactions_user_id'), ['user_id'], unique=False)

    op.create_table('meter_samples',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('transaction_id', sa.Uuid(), nullable=False),
    sa.Column('timestamp', api.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('energy_wh', sa.Float(), nullable=True),
    sa.Column('power_w', sa.Float(), nullable=True),
    sa.Column('soc_percent', sa.Float(), nullable=True),
    sa.Column('current_a', sa.Float(), nullable=True),
    sa.Column('voltage_v', sa.Float(), nullable=True),
    sa.Column('context', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['transaction_id'], ['charging_transactions.id'], name=op.f('fk_meter_samples_transaction_id_charging_transactions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meter_samples')),
    sa.UniqueConstraint('transaction_id', 'timestamp', name=op.f('uq_meter_samples_transaction_id_timestamp'))
    )
    with op.batch_alter_table('charging_stations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_hash', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('serial_number', sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column('held_by', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_charging_stations_held_by'), ['held_by'], unique=False)

    with op.batch_alter_table('evses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ocpp_status', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('error_code', sa.String(length=50), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('evses', schema=None) as batch_op:
        batch_op.drop_column('error_code')
        batch_op.drop_column('ocpp_status')

    with op.batch_alter_table('charging_stations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_charging_stations_held_by'))
        batch_op.drop_column('held_by')
        batch_op.drop_column('serial_number')
        batch_op.drop_column('password_hash')

    op.drop_table('meter_samples')
    with op.batch_alter_table('charging_transactions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_charging_transactions_user_id'))
        batch_op.drop_index(batch_op.f('ix_charging_transactions_status'))
        batch_op.drop_index('ix_charging_transactions_station_connector_started')
        batch_op.drop_index(batch_op.f('ix_charging_transactions_evse_id'))

    op.drop_table('charging_transactions')
    with op.batch_alter_table('charger_log', schema=None) as batch_op:
        batch_op.drop_index('ix_charger_log_station_at')

    op.drop_table('charger_log')
    with op.batch_alter_table('id_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_id_tokens_user_id'))

    op.drop_table('id_tokens')
    with op.batch_alter_table('bridge_processes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bridge_processes_last_beat'))

    op.drop_table('bridge_processes')
