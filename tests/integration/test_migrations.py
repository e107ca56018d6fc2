"""Migrations are the only way the schema is made, so they must match the models and run both ways."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from api.db.engine import create_engine
from api.db.migrate import current_revision, downgrade, head_revision, is_up_to_date, upgrade
from api.db.models import Base


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        assert await is_up_to_date(engine)
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
    finally:
        await engine.dispose()


async def test_downgrade_to_base_and_back(tmp_path: object, database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await downgrade(engine, "base")
        assert await current_revision(engine) is None
        async with engine.connect() as connection:
            assert not (await connection.run_sync(_tables)) & {t.name for t in Base.metadata.sorted_tables}
        await upgrade(engine)
        assert await current_revision(engine) == head_revision()
        async with engine.connect() as connection:
            assert {t.name for t in Base.metadata.sorted_tables} <= await connection.run_sync(_tables)
    finally:
        await engine.dispose()
