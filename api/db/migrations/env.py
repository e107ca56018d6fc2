"""Alembic environment: runs on the connection handed over by api.db.migrate."""

from __future__ import annotations

from alembic import context

from api.db.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `voltway db upgrade`, which provides the database connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
