"""ocpi location documents: each of our locations' OCPI JSON kept encoded, and triggers that mark it stale

Revision ID: 0025
Revises: 0022
Create Date: 2026-12-07 12:30:00.000000

Every change to what a partner sees of a location (its own fields, an EVSE's fixed fields, a connector) moves
`locations.ocpi_content_version` on, in the database itself, so no write path (importers, the bridge's
provisioning, admin edits, raw SQL) can leave a stored document looking current. Live status is not part of a
document and does not move the version.

The `ocpi-location-set` change counter moves whenever a location is added, removed, or changes party, id or
publish: a process may keep the ordered ids of a party's locations (page offsets and totals) while it stands.
"""

# The SQL below is constant DDL text, assembled from constants: nothing from outside reaches it.
# ruff: noqa: S608

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0022"
branch_labels = None
depends_on = None

_LOCATION_FIELDS = (
    "country_code, party_id, ocpi_id, name, address, city, postal_code, state, country, latitude, longitude, "
    "time_zone, operator_name, parking_type, facilities, opening_times, publish, publish_allowed_to"
)
_EVSE_FIELDS = "location_id, uid, emi3_evse_id, capabilities, physical_reference, floor_level, charging_station_id"
_BUMP = "UPDATE locations SET ocpi_content_version = ocpi_content_version + 1 WHERE id = "
LOCATION_SET_COUNTER = "ocpi-location-set"
_SET_FIELDS = "country_code, party_id, ocpi_id, publish"
_BUMP_SET = f"UPDATE change_counters SET revision = revision + 1 WHERE name = '{LOCATION_SET_COUNTER}'"

_SQLITE = [
    f"CREATE TRIGGER ocpi_location_fields AFTER UPDATE OF {_LOCATION_FIELDS} ON locations BEGIN {_BUMP}NEW.id; END",
    f"CREATE TRIGGER ocpi_evse_added AFTER INSERT ON evses BEGIN {_BUMP}NEW.location_id; END",
    f"CREATE TRIGGER ocpi_evse_removed AFTER DELETE ON evses BEGIN {_BUMP}OLD.location_id; END",
    f"CREATE TRIGGER ocpi_evse_fields AFTER UPDATE OF {_EVSE_FIELDS} ON evses "
    f"BEGIN {_BUMP}NEW.location_id; {_BUMP}OLD.location_id; END",
    "CREATE TRIGGER ocpi_connector_added AFTER INSERT ON connectors "
    f"BEGIN {_BUMP}(SELECT location_id FROM evses WHERE id = NEW.evse_id); END",
    "CREATE TRIGGER ocpi_connector_removed AFTER DELETE ON connectors "
    f"BEGIN {_BUMP}(SELECT location_id FROM evses WHERE id = OLD.evse_id); END",
    "CREATE TRIGGER ocpi_connector_changed AFTER UPDATE ON connectors "
    f"BEGIN {_BUMP}(SELECT location_id FROM evses WHERE id = NEW.evse_id); "
    f"{_BUMP}(SELECT location_id FROM evses WHERE id = OLD.evse_id); END",
    f"CREATE TRIGGER ocpi_location_added AFTER INSERT ON locations BEGIN {_BUMP_SET}; END",
    f"CREATE TRIGGER ocpi_location_removed AFTER DELETE ON locations BEGIN {_BUMP_SET}; END",
    f"CREATE TRIGGER ocpi_location_moved AFTER UPDATE OF {_SET_FIELDS} ON locations BEGIN {_BUMP_SET}; END",
]
_SQLITE_TRIGGERS = (
    "ocpi_location_added",
    "ocpi_location_removed",
    "ocpi_location_moved",
    "ocpi_location_fields",
    "ocpi_evse_added",
    "ocpi_evse_removed",
    "ocpi_evse_fields",
    "ocpi_connector_added",
    "ocpi_connector_removed",
    "ocpi_connector_changed",
)

_POSTGRES = [
    """CREATE FUNCTION ocpi_location_fields() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.ocpi_content_version := OLD.ocpi_content_version + 1;
    RETURN NEW;
END $$""",
    f"CREATE TRIGGER ocpi_location_fields BEFORE UPDATE OF {_LOCATION_FIELDS} ON locations "
    "FOR EACH ROW EXECUTE FUNCTION ocpi_location_fields()",
    f"""CREATE FUNCTION ocpi_evse_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN {_BUMP}NEW.location_id; END IF;
    IF TG_OP <> 'INSERT' AND (TG_OP = 'DELETE' OR OLD.location_id <> NEW.location_id) THEN
        {_BUMP}OLD.location_id;
    END IF;
    RETURN NULL;
END $$""",
    "CREATE TRIGGER ocpi_evse_added_or_removed AFTER INSERT OR DELETE ON evses "
    "FOR EACH ROW EXECUTE FUNCTION ocpi_evse_changed()",
    f"CREATE TRIGGER ocpi_evse_fields AFTER UPDATE OF {_EVSE_FIELDS} ON evses "
    "FOR EACH ROW EXECUTE FUNCTION ocpi_evse_changed()",
    f"""CREATE FUNCTION ocpi_connector_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN {_BUMP}(SELECT location_id FROM evses WHERE id = NEW.evse_id); END IF;
    IF TG_OP <> 'INSERT' AND (TG_OP = 'DELETE' OR OLD.evse_id <> NEW.evse_id) THEN
        {_BUMP}(SELECT location_id FROM evses WHERE id = OLD.evse_id);
    END IF;
    RETURN NULL;
END $$""",
    "CREATE TRIGGER ocpi_connector_changed AFTER INSERT OR UPDATE OR DELETE ON connectors "
    "FOR EACH ROW EXECUTE FUNCTION ocpi_connector_changed()",
    f"""CREATE FUNCTION ocpi_location_set_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_BUMP_SET};
    RETURN NULL;
END $$""",
    f"CREATE TRIGGER ocpi_location_set AFTER INSERT OR DELETE OR UPDATE OF {_SET_FIELDS} ON locations "
    "FOR EACH STATEMENT EXECUTE FUNCTION ocpi_location_set_changed()",
]
_POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS ocpi_location_set ON locations",
    "DROP FUNCTION IF EXISTS ocpi_location_set_changed()",
    "DROP TRIGGER IF EXISTS ocpi_location_fields ON locations",
    "DROP TRIGGER IF EXISTS ocpi_evse_added_or_removed ON evses",
    "DROP TRIGGER IF EXISTS ocpi_evse_fields ON evses",
    "DROP TRIGGER IF EXISTS ocpi_connector_changed ON connectors",
    "DROP FUNCTION IF EXISTS ocpi_location_fields()",
    "DROP FUNCTION IF EXISTS ocpi_evse_changed()",
    "DROP FUNCTION IF EXISTS ocpi_connector_changed()",
]


def upgrade() -> None:
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ocpi_content_version", sa.BigInteger(), server_default="0", nullable=False))
    op.create_table(
        "ocpi_location_documents",
        sa.Column("location_id", sa.Uuid(), nullable=False),
        sa.Column("content_version", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("evses", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["location_id"], ["locations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("location_id"),
    )
    counters = sa.table("change_counters", sa.column("name", sa.String), sa.column("revision", sa.BigInteger))
    op.bulk_insert(counters, [{"name": LOCATION_SET_COUNTER, "revision": 0}])
    for statement in _POSTGRES if op.get_context().dialect.name == "postgresql" else _SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        for statement in _POSTGRES_DROP:
            op.execute(statement)
    else:
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute(f"DELETE FROM change_counters WHERE name = '{LOCATION_SET_COUNTER}'")
    op.drop_table("ocpi_location_documents")
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.drop_column("ocpi_content_version")
