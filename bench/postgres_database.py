"""A throwaway PostgreSQL database for one benchmark run, on the server a URL names."""

from __future__ import annotations

import os

import asyncpg
from sqlalchemy.engine import make_url


def _admin_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)


async def create_database(base_url: str, prefix: str) -> str:
    """A new, empty database `{prefix}_{pid}` (replacing a leftover of the same name); returns its URL."""
    name = f"{prefix}_{os.getpid()}"
    connection = await asyncpg.connect(_admin_dsn(base_url), timeout=10)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


async def database_if_reachable(base_url: str, prefix: str) -> str | None:
    """`create_database`, or None (said on stdout) when the server cannot be reached: the run measures SQLite only."""
    try:
        return await create_database(base_url, prefix)
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"PostgreSQL not reachable ({exc}); measuring SQLite only")
        return None


async def drop_database(url: str) -> None:
    connection = await asyncpg.connect(_admin_dsn(url), timeout=10)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    finally:
        await connection.close()
