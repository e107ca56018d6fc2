"""Database fixtures: every test that asks for `database_url` runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from api.db.engine import create_engine, create_session_factory
from api.db.migrate import upgrade
from api.db.models import Base
from tests.support import free_port, make_settings, skip_or_fail

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
ClientFactory = Callable[..., Awaitable[AsyncTestClient[Litestar]]]


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _create_postgres_database(base_url: str) -> str:
    name = f"voltway_test_{os.getpid()}_{secrets.token_hex(4)}"
    connection = await asyncpg.connect(_asyncpg_dsn(base_url), timeout=5)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


async def _drop_postgres_database(base_url: str, url: str) -> None:
    name = make_url(url).database
    connection = await asyncpg.connect(_asyncpg_dsn(base_url), timeout=5)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database of each kind, private to this test run."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("sqlite") / "voltway.db"
        url = f"sqlite+aiosqlite:///{path}"
        asyncio.run(_migrate(url))
        yield url
        return
    base_url = os.environ.get("VOLTWAY_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    try:
        url = asyncio.run(_create_postgres_database(base_url))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        skip_or_fail("VOLTWAY_REQUIRE_POSTGRES", f"PostgreSQL at {make_url(base_url)!r} is not reachable: {exc}")
    asyncio.run(_migrate(url))
    yield url
    asyncio.run(_drop_postgres_database(base_url, url))


async def empty_all_tables(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            # The change counter keeps counting: processes compare revisions, they never go back.
            tables = [t for t in reversed(Base.metadata.sorted_tables) if t.name != "change_counters"]
            if connection.dialect.name == "postgresql":
                names = ", ".join(f'"{table.name}"' for table in tables)
                await connection.execute(text(f"TRUNCATE {names} CASCADE"))
            else:
                for table in tables:
                    await connection.execute(table.delete())
    finally:
        await engine.dispose()


@pytest.fixture(autouse=True)
async def _empty_tables_after(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Every test that touched a database leaves it empty for the next one."""
    yield
    if "database_url" in request.fixturenames:
        await empty_all_tables(request.getfixturevalue("database_url"))


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the test's database, for tests that work below the HTTP API."""
    engine = create_engine(database_url)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


@pytest.fixture
async def client_factory(database_url: str) -> AsyncIterator[ClientFactory]:
    """Builds apps on the test database with any settings changed; tables are emptied afterwards."""
    clients: list[AsyncTestClient[Litestar]] = []

    async def build(**overrides: Any) -> AsyncTestClient[Litestar]:
        settings = make_settings(**{"database_url": database_url, **overrides})
        client: AsyncTestClient[Litestar] = AsyncTestClient(create_app(settings))
        await client.__aenter__()
        clients.append(client)
        return client

    try:
        yield build
    finally:
        for client in clients:
            await client.__aexit__(None, None, None)


@pytest.fixture
async def client(client_factory: ClientFactory) -> AsyncTestClient[Litestar]:
    return await client_factory()


@pytest.fixture(scope="session")
def localstripe_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real localstripe server (a Stripe-compatible API) in its own process, started once per test run."""
    port = free_port()
    workdir = tmp_path_factory.mktemp("localstripe")
    log = (workdir / "localstripe.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "localstripe", "--port", str(port), "--from-scratch"],
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                # Any answer (401 without a key) means the server listens.
                httpx.get(f"{base}/v1/customers", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"localstripe did not start; see {workdir / 'localstripe.log'}")
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
