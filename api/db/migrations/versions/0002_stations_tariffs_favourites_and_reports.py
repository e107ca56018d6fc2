"""stations, tariffs, favourites and reports

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 03:16:24.653052
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import api.db.types


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('change_counters',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('revision', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_change_counters'))
    )
    op.bulk_insert(
        sa.table("change_counters", sa.column("name", sa.String), sa.column("revision", sa.BigInteger)),
        [{"name": "stations", "revision": 0}],
    )
    op.create_table('locations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('country_code', sa.String(length=2), nullable=False),
    sa.Column('party_id', sa.String(length=3), nullable=False),
    sa.Column('ocpi_id', sa.String(length=36), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('address', sa.String(length=255), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('postal_code', sa.String(length=20), nullable=True),
    sa.Column('state', sa.String(length=100), nullable=True),
    sa.Column('country', sa.String(length=3), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=False),
    sa.Column('longitude', sa.Float(), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('operator_name', sa.String(length=255), nullable=True),
    sa.Column('parking_type', sa.String(length=32), nullable=True),
    sa.Column('facilities', sa.JSON(), nullable=False),
    sa.Column('opening_times', sa.JSON(), nullable=True),
    sa.Column('publish', sa.Boolean(), nullable=False),
    sa.Column('last_updated', api.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revision', sa.BigInteger(), nullable=False),
    sa.Column('fingerprint', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_locations')),
    sa.UniqueConstraint('country_code', 'party_id', 'ocpi_id', name=op.f('uq_locations_country_code_party_id_ocpi_id'))
    )
    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_locations_revision'), ['revision'], unique=False)

    op.create_table('tariffs',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('country_code', sa.String(length=2), nullable=False),
    sa.Column('party_id', sa.String(length=3), nullable=False),
    sa.Column('tariff_id', sa.String(length=36), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('document', sa.String(), nullable=False),
    sa.Column('last_updated', api.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revision', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tariffs')),
    sa.UniqueConstraint('country_code', 'party_id', 'tariff_id', name=op.f('uq_tariffs_country_code_party_id_tariff_id'))
    )
    with op.batch_alter_table('tariffs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tariffs_revision'), ['revision'], unique=False)

    op.create_table('charging_stations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('ocpp_id', sa.String(length=48), nullable=False),
    sa.Column('location_id', sa.Uuid(), nullable=False),
    sa.Column('vendor', sa.String(length=50), nullable=True),
    sa.Column('model', sa.String(length=50), nullable=True),
    sa.Column('firmware_version', sa.String(length=50), nullable=True),
    sa.Column('ocpp_version', sa.String(length=8), nullable=True),
    sa.Column('connected', sa.Boolean(), nullable=False),
    sa.Column('last_seen', api.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', api.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_charging_stations_location_id_locations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_charging_stations')),
    sa.UniqueConstraint('ocpp_id', name=op.f('uq_charging_stations_ocpp_id'))
    )
    with op.batch_alter_table('charging_stations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_charging_stations_location_id'), ['location_id'], unique=False)

    op.create_table('favourites',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('location_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', api.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_favourites_location_id_locations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_favourites_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'location_id', name=op.f('pk_favourites'))
    )
    op.create_table('evses',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('location_id', sa.Uuid(), nullable=False),
    sa.Column('uid', sa.String(length=36), nullable=False),
    sa.Column('emi3_evse_id', sa.String(length=48), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_source', sa.String(length=8), nullable=False),
    sa.Column('status_updated_at', api.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('capabilities', sa.JSON(), nullable=False),
    sa.Column('physical_reference', sa.String(length=64), nullable=True),
    sa.Column('floor_level', sa.String(length=4), nullable=True),
    sa.Column('charging_station_id', sa.Uuid(), nullable=True),
    sa.Column('ocpp_evse_id', sa.Integer(), nullable=True),
    sa.Column('last_updated', api.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['charging_station_id'], ['charging_stations.id'], name=op.f('fk_evses_charging_station_id_charging_stations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_evses_location_id_locations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evses')),
    sa.UniqueConstraint('location_id', 'uid', name=op.f('uq_evses_location_id_uid'))
    )
    with op.batch_alter_table('evses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evses_charging_station_id'), ['charging_station_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evses_emi3_evse_id'), ['emi3_evse_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evses_location_id'), ['location_id'], unique=False)

    op.create_table('connectors',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('evse_id', sa.Uuid(), nullable=False),
    sa.Column('connector_id', sa.String(length=36), nullable=False),
    sa.Column('standard', sa.String(length=32), nullable=False),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('power_type', sa.String(length=20), nullable=False),
    sa.Column('max_voltage', sa.Integer(), nullable=True),
    sa.Column('max_amperage', sa.Integer(), nullable=True),
    sa.Column('max_electric_power', sa.Integer(), nullable=True),
    sa.Column('tariff_ids', sa.JSON(), nullable=False),
    sa.Column('last_updated', api.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['evse_id'], ['evses.id'], name=op.f('fk_connectors_evse_id_evses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_connectors')),
    sa.UniqueConstraint('evse_id', 'connector_id', name=op.f('uq_connectors_evse_id_connector_id'))
    )
    with op.batch_alter_table('connectors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_connectors_evse_id'), ['evse_id'], unique=False)

    op.create_table('station_reports',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('location_id', sa.Uuid(), nullable=False),
    sa.Column('evse_id', sa.Uuid(), nullable=True),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('text', sa.String(length=2000), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', api.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['evse_id'], ['evses.id'], name=op.f('fk_station_reports_evse_id_evses'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_station_reports_location_id_locations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_station_reports_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_station_reports'))
    )
    with op.batch_alter_table('station_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_station_reports_location_id'), ['location_id'], unique=False)
        batch_op.create_index('ix_station_reports_status_created_at', ['status', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_station_reports_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('station_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_station_reports_user_id'))
        batch_op.drop_index('ix_station_reports_status_created_at')
        batch_op.drop_index(batch_op.f('ix_station_reports_location_id'))

    op.drop_table('station_reports')
    with op.batch_alter_table('connectors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_connectors_evse_id'))

    op.drop_table('connectors')
    with op.batch_alter_table('evses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evses_location_id'))
        batch_op.drop_index(batch_op.f('ix_evses_emi3_evse_id'))
        batch_op.drop_index(batch_op.f('ix_evses_charging_station_id'))

    op.drop_table('evses')
    op.drop_table('favourites')
    with op.batch_alter_table('charging_stations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_charging_stations_location_id'))

    op.drop_table('charging_stations')
    with op.batch_alter_table('tariffs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tariffs_revision'))

    op.drop_table('tariffs')
    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_locations_revision'))

    op.drop_table('locations')
    op.drop_table('change_counters')
