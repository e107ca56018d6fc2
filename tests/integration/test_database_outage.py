"""Without its database the API says so: 503 problem details with Retry-After, never a 500 or a stack trace."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import uuid
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import make_url

from api.app import create_app
from api.security.tokens import AccessTokenIssuer
from tests.integration.test_accounts import assert_problem
from tests.support import TEST_SECRET_KEY, make_settings


def unreachable_url(database_url: str, tmp_path: Path) -> str:
    """The same kind of database, somewhere it cannot be reached: a closed port, or a folder that does not exist."""
    if database_url.startswith("sqlite"):
        return f"sqlite+aiosqlite:///{tmp_path / 'missing-folder' / 'voltway.db'}"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"postgresql+asyncpg://postgres@127.0.0.1:{port}/test"


async def test_requests_get_503_while_the_database_is_unreachable(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(database_url=unreachable_url(database_url, tmp_path))
    token = AccessTokenIssuer(TEST_SECRET_KEY, 900).issue(uuid.uuid4(), "driver", uuid.uuid4())
    password = "a password nobody may see"
    async with AsyncTestClient(create_app(settings)) as client:
        requests = [
            client.post("/v1/auth/login", json={"email": "dana@example.com", "password": password}),
            client.post("/v1/auth/register", json={"email": "dana@example.com", "password": password, "name": "Dana"}),
            client.post("/v1/auth/password-reset", json={"email": "dana@example.com"}),
            client.get("/v1/me", headers={"Authorization": f"Bearer {token}"}),
        ]
        for request in requests:
            response = await request
            problem = assert_problem(response, 503)
            assert problem["type"] == "urn:voltway:problem:service-unavailable"
            assert int(response.headers["retry-after"]) > 0
            assert "database" in problem["detail"]
        assert (await client.get("/ready")).status_code == 503
    for record in caplog.records:
        assert password not in record.getMessage()
        assert "dana@example.com" not in record.getMessage()
    assert any("database unavailable" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


class TcpProxy:
    """A TCP relay to the database that the test can cut and restore, as a network failure would.

    It runs on its own thread and event loop, so it keeps relaying while the test client holds the test's loop.
    """

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    def _run(self, coroutine: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    def open(self) -> None:
        self._run(self._open())

    def cut(self) -> None:
        """Refuse new connections and drop every open one."""
        self._run(self._cut())

    def stop(self) -> None:
        self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def _open(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in self._writers:
            writer.transport.abort()
        self._writers.clear()

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection(*self.target)
        self._writers += [client_writer, server_writer]

        async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            writer.transport.abort()

        await asyncio.gather(pump(client_reader, server_writer), pump(server_reader, client_writer))


# An embedded SQLite file has no connection to lose.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_database_lost_while_serving_answers_503_and_nothing_is_lost(database_url: str) -> None:
    url = make_url(database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    proxy.open()
    through_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    try:
        credentials = {"email": "dana@example.com", "password": "correct horse battery"}
        async with AsyncTestClient(create_app(make_settings(database_url=through_proxy))) as client:
            registered = await client.post("/v1/auth/register", json={**credentials, "name": "Dana"})
            assert registered.status_code == 201
            assert (await client.post("/v1/auth/login", json=credentials)).status_code == 200

            proxy.cut()
            for _ in range(3):
                response = await client.post("/v1/auth/login", json=credentials)
                assert_problem(response, 503)
                assert int(response.headers["retry-after"]) > 0

            proxy.open()  # the network is back, on the same address
            again = await client.post("/v1/auth/login", json=credentials)
            assert again.status_code == 200, again.text
            me = await client.get("/v1/me", headers={"Authorization": f"Bearer {again.json()['accessToken']}"})
            assert me.json()["id"] == registered.json()["id"]
    finally:
        proxy.stop()
