"""What the fault tests run: `voltway serve` processes sharing one PostgreSQL database, the driver's side of the
app API, and a TCP proxy between the processes and PostgreSQL that the test can cut and restore."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from api.db.models import ChargingSession, ChargingTransaction
from api.domain.chargers.provisioning import add_charger
from api.domain.stations.tariffs import TariffStore
from tests.integration.test_sessions import PASSWORD, TARIFF, expected_bill
from tests.support import cli_environment, database_session, free_port, wait_for

VOLTWAY = [sys.executable, "-m", "api"]
DRIVER_PASSWORD = "long enough password"
SETTLE_SECONDS = 30.0  # how long a wait may take across processes, the database and a proxy in between


class PostgresProxy:
    """A TCP proxy to PostgreSQL: `cut` drops every connection through it and refuses new ones until `restore`,
    as a network partition would; the shared server itself is never touched."""

    def __init__(self, target_port: int = 5432) -> None:
        self.target_port = target_port
        self.port = 0
        self.open = True
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def url(self, database_url: str) -> str:
        return make_url(database_url).set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    def cut(self) -> None:
        self.open = False
        for writer in list(self._pipes):
            writer.transport.abort()
        self._pipes.clear()

    def restore(self) -> None:
        self.open = True

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.open:
            writer.transport.abort()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._pipes.update((writer, upstream_writer))
        for source, sink in ((reader, upstream_writer), (upstream_reader, writer)):
            task = asyncio.create_task(self._pump(source, sink))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        sink.transport.abort()
        self._pipes.discard(sink)


async def prepare(database_url: str, chargers: list[str]) -> None:
    """The tariff and the chargers (each with one EVSE) the test sessions run on."""
    async with database_session(database_url) as session:
        await TariffStore("NL", "VWY").import_documents(session, [json.dumps(TARIFF).encode()], "test")
        for n, ocpp_id in enumerate(chargers, start=1):
            await add_charger(
                session, ocpp_id=ocpp_id, password=PASSWORD, country_code="NL", party_id="VWY",
                tariff_id="SES-AC", coordinates=(52.37 + n / 1000, 4.9), name=f"Faults {n}",
            )  # fmt: skip
        await session.commit()


@dataclass
class Server:
    base: str
    ocpp_url: str
    process: asyncio.subprocess.Process
    log: Path


@dataclass
class Cluster:
    """`voltway serve` processes on one database; `client` is the driver's HTTP client."""

    env: dict[str, str]
    tmp_path: Path
    client: httpx.AsyncClient
    servers: list[Server] = field(default_factory=list)

    async def start_server(self) -> Server:
        port, ocpp_port = free_port(), free_port()
        log = self.tmp_path / f"serve-{len(self.servers)}.log"
        with log.open("wb") as output:
            process = await asyncio.create_subprocess_exec(
                *VOLTWAY, "serve", "--port", str(port), "--ocpp-port", str(ocpp_port),
                env=self.env, stdout=output, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
        server = Server(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{ocpp_port}/ocpp", process, log)
        self.servers.append(server)

        async def ready() -> bool:
            if process.returncode is not None:
                pytest.fail(f"voltway serve exited: {log.read_text(errors='replace')[-3000:]}")
            with contextlib.suppress(httpx.TransportError):
                return (await self.client.get(f"{server.base}/ready", timeout=2)).status_code == 200
            return False

        await wait_for(ready, "voltway serve ready", seconds=60)
        return server

    async def kill(self, server: Server) -> None:
        """kill -9: no shutdown, no flush, no goodbye to the database."""
        server.process.kill()
        await server.process.wait()

    async def stop(self) -> None:
        """Stop every process still running as Ctrl-C would; kill what has not ended within 30 s."""
        for server in self.servers:
            if server.process.returncode is None:
                server.process.send_signal(signal.SIGINT)
        for server in self.servers:
            try:
                async with asyncio.timeout(30):
                    await server.process.wait()
            except TimeoutError:
                server.process.kill()
                await server.process.wait()

    async def driver(self, server: Server) -> dict[str, str]:
        email = f"driver-{uuid.uuid4().hex[:8]}@example.com"
        await self.client.post(
            f"{server.base}/v1/auth/register", json={"email": email, "password": DRIVER_PASSWORD, "name": "Driver"}
        )
        login = await self.client.post(
            f"{server.base}/v1/auth/login", json={"email": email, "password": DRIVER_PASSWORD}
        )
        return {"Authorization": f"Bearer {login.json()['accessToken']}"}

    async def evse_of(self, server: Server, name: str) -> str:
        """The EVSE uid of the charger shown as `name` on the map, once it shows available."""

        async def available() -> str | None:
            page = (
                await self.client.get(f"{server.base}/v1/stations", params={"lat": 52.37, "lon": 4.9, "radius": 20000})
            ).json()
            for item in page["items"]:
                if item.get("name") == name:
                    for evse in item["evses"]:
                        if evse["status"] == "AVAILABLE":
                            return str(evse["uid"])
            return None

        found: str = await wait_for(available, f"{name} available on the map", seconds=SETTLE_SECONDS)
        return found

    async def status(self, server: Server, headers: dict[str, str], session_id: str) -> str:
        view = (await self.client.get(f"{server.base}/v1/sessions/{session_id}", headers=headers)).json()
        return str(view["status"])

    async def reach(self, server: Server, headers: dict[str, str], session_id: str, status: str) -> None:
        async def reached() -> bool:
            return await self.status(server, headers, session_id) == status

        await wait_for(reached, f"session {status}", seconds=SETTLE_SECONDS)


@contextlib.asynccontextmanager
async def cluster(database_url: str, tmp_path: Path, **env: str) -> AsyncIterator[Cluster]:
    environment = cli_environment(
        tmp_path,
        VOLTWAY_DATABASE_URL=database_url,
        VOLTWAY_SESSION_START_TIMEOUT="10",
        VOLTWAY_CATALOG_POLL_MS="200",
        **env,
    )
    async with httpx.AsyncClient(timeout=15) as client:
        running = Cluster(environment, tmp_path, client)
        try:
            yield running
        finally:
            await running.stop()


async def check_settled(database_url: str, session_id: str, energy_wh: int) -> ChargingSession:
    """The session's transaction has exactly the energy the charger reported, and its bill is the pricing engine's
    amount due for the stored samples."""
    async with database_session(database_url) as session:
        record = await session.get(ChargingSession, uuid.UUID(session_id))
        assert record is not None
        assert record.status == "completed", record.status
        transaction = await session.get(ChargingTransaction, record.transaction_id)
        assert transaction is not None
        assert transaction.energy_wh == energy_wh
    amount_due, _ = await expected_bill(database_url, session_id)
    assert record.amount_due is not None
    assert Decimal(record.amount_due) == amount_due, (record.amount_due, amount_due)
    return record
