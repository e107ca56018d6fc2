"""Live session updates under load: the latency from a charger's MeterValues to the session update the driver's
app receives on ``WS /v1/sessions/{id}/live``, with 1,000 concurrent live sessions (target p99 < 100 ms), and
the same for 100 sessions as a baseline in the same run (the machine is shared: compare within one run).

The server is the product as deployed: ``python -m api serve`` in its own process (OCPP bridge inside), pinned
to core 0 when there are two cores or more. This process is the load generator (pinned to core 1): it holds a
raw OCPP 1.6J client socket per charger (BootNotification, StatusNotification Available, RemoteStartTransaction
answered Accepted, then StartTransaction with the command's idTag) and one driver WebSocket per session.

Set-up, before the server starts: a fresh database (SQLite file in a temp dir, or a PostgreSQL database created
for the run and dropped afterwards), migrated, with one tariff (energy, time and a flat fee, VAT) and the
chargers (``add_charger``). Drivers register and sign in over HTTP; each starts its share of the sessions with
``POST /v1/sessions`` (an Idempotency-Key each) and the benchmark waits until every session is ``charging``.

Measurement: every live session sends one MeterValues (Energy.Active.Import.Register in Wh, Power.Active.Import
in W) every ``--interval`` seconds, the sends of all sessions spread evenly over the interval (1,000 sessions
every 3 s: 333 messages/s, steady). Each send raises the session's register by a whole number of Wh, so the
``energyKwh`` of the update identifies the send it answers. Latency = arrival of that update on the driver's
WebSocket minus ``time.perf_counter()`` taken just before the MeterValues frame was written (so it includes
both loopback hops and any delay in this process, and slightly over-states the bridge-to-app time). A warm-up
(not counted) precedes ``--seconds`` of measurement; sends whose update never arrives count as lost.
Also reported: the bridge's CallResult round trip for the same MeterValues, the server's and this process's CPU
during the measurement, this process's worst event-loop lag and pacing slip (how late it sent against the
schedule): when those stay small, a slow update was slow in the server, not here.

Phases run in one server: first ``--baseline`` sessions are started and measured (the other chargers connected
and idle), then the rest are started and all ``--sessions`` are measured together.

Usage: .venv/bin/python bench/bench_session_live.py [--sessions 1000] [--database sqlite|postgresql]
       [--baseline 100] [--interval 3] [--seconds 30] [--warm-up 5] [--drivers 10]
       [--postgres-url URL] [--no-pin] [--profile FILE]
A default run (1,000 sessions) takes about 2-3 minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import itertools
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import msgspec
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.db.engine import create_engine, create_session_factory
from api.db.migrate import upgrade
from api.db.models import ChargingStation, Evse
from api.domain.chargers.provisioning import add_charger
from api.domain.stations.tariffs import TariffStore
from bench.postgres_database import create_database, drop_database

REPO = Path(__file__).resolve().parents[1]
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
SECRET_KEY = "bench-session-live-secret-key-0123456789-abcdefghij"
CHARGER_PASSWORD = "bench-live-charger-secret"
DRIVER_PASSWORD = "bench live driver password"
PREFIX = "LIVE-"
TARGET_P99_MS = 100.0
CALL_TIMEOUT = 60.0
# Starts in flight at once. Each POST /v1/sessions holds two pooled connections at the same time (the request's
# session, read for the locale, and the one SessionService.start opens): with as many starts in flight as the
# SQLite pool has connections (5 + 10 overflow), every request holds one and waits for a second until the pool
# times out (500 after 30 s). Kept low so the set-up does not trip over that.
START_CONCURRENCY = 4
LAG_TICK = 0.01
METER_START_WH = 120_000
POWER_W = 7400
STEP_WH = 6  # about 7.4 kW over 3 s; whole Wh keep every update's energyKwh distinct
TARIFF_ID = "LIVE-AC"
TARIFF = {
    "id": TARIFF_ID,
    "currency": "EUR",
    "elements": [
        {
            "price_components": [
                {"type": "ENERGY", "price": "0.39", "vat": "21.0", "step_size": 1},
                {"type": "FLAT", "price": "0.50", "vat": "21.0", "step_size": 1},
                {"type": "TIME", "price": "1.20", "vat": "21.0", "step_size": 60},
            ]
        }
    ],
    "last_updated": "2026-01-01T00:00:00Z",
}
TICKS = os.sysconf("SC_CLK_TCK")
_encode = msgspec.json.encode


def _decode_frame(raw: str | bytes) -> list[Any]:
    frame: list[Any] = msgspec.json.decode(raw)
    return frame


class _Update(msgspec.Struct):
    """The two fields of a session update the benchmark reads (the rest is skipped by the decoder)."""

    status: str
    energyKwh: Decimal  # noqa: N815


def iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def percentile(ordered: Sequence[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else 0.0


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# ----- database ----------------------------------------------------------------------------------------------


async def add_chargers(
    session: AsyncSession, source: str, chargers: Iterable[tuple[str, tuple[float, float], str]], commit_every: int
) -> None:
    """Import the benchmark tariff (as read from `source`) and add chargers, given as (OCPP id, coordinates,
    name), on it; commits every `commit_every` chargers so a large network is not one huge transaction."""
    await TariffStore("NL", "VWY").import_documents(session, [json.dumps(TARIFF).encode()], source)
    for n, (ocpp_id, coordinates, name) in enumerate(chargers, start=1):
        await add_charger(
            session,
            ocpp_id=ocpp_id,
            password=CHARGER_PASSWORD,
            country_code="NL",
            party_id="VWY",
            tariff_id=TARIFF_ID,
            coordinates=coordinates,
            name=name,
        )
        if n % commit_every == 0:
            await session.commit()
    await session.commit()


async def evse_uids(session: AsyncSession, prefix: str) -> dict[str, str]:
    """Charger id -> EVSE uid of every charger whose id starts with `prefix`."""
    rows = await session.execute(
        select(ChargingStation.ocpp_id, Evse.uid)
        .join(Evse, Evse.charging_station_id == ChargingStation.id)
        .where(ChargingStation.ocpp_id.like(f"{prefix}%"))
    )
    return {str(ocpp_id): str(uid) for ocpp_id, uid in rows}


@contextlib.asynccontextmanager
async def migrated(url: str) -> AsyncIterator[AsyncSession]:
    """A session on the database at `url` once it is migrated; the engine is disposed of afterwards."""
    engine = create_engine(url)
    try:
        await upgrade(engine)
        async with create_session_factory(engine)() as session:
            yield session
    finally:
        await engine.dispose()


async def provision(url: str, chargers: int) -> dict[str, str]:
    """Migrate, import the tariff and add the chargers; returns charger id -> EVSE uid."""
    async with migrated(url) as session:
        network = ((f"{PREFIX}{n:05d}", (52.0 + n / 10_000, 4.9), f"Live bench {n}") for n in range(1, chargers + 1))
        await add_chargers(session, "bench", network, commit_every=200)
        uids = await evse_uids(session, PREFIX)
    if len(uids) != chargers:
        msg = f"provisioned {len(uids)} chargers, wanted {chargers}"
        raise RuntimeError(msg)
    return uids


async def count_available(url: str) -> int:
    """EVSEs whose charger is connected, held by the server and reported Available."""
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(Evse)
                .join(ChargingStation, Evse.charging_station_id == ChargingStation.id)
                .where(
                    ChargingStation.connected.is_(True),
                    ChargingStation.held_by.is_not(None),
                    Evse.ocpp_status == "Available",
                )
            )
        return int(count or 0)
    finally:
        await engine.dispose()


# ----- the server --------------------------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """``python -m api serve`` with the OCPP bridge, configured through VOLTWAY_* variables."""

    def __init__(self, url: str, data_dir: Path, *, pin: bool, profile: str | None) -> None:
        self.port, self.ocpp_port = free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("VOLTWAY_")}
        env.update(
            {
                "VOLTWAY_ENV": "test",
                "VOLTWAY_DATABASE_URL": url,
                "VOLTWAY_DATA_DIR": str(data_dir),
                "VOLTWAY_SECRET_KEY": SECRET_KEY,
                "VOLTWAY_LOG_LEVEL": "WARNING",
                "VOLTWAY_PASSWORD_HASH_TIME_COST": "1",
                "VOLTWAY_PASSWORD_HASH_MEMORY_KIB": "64",
                "VOLTWAY_RATE_LIMIT_PER_MINUTE": "10000000",
                "VOLTWAY_LOGIN_ATTEMPTS_PER_IP_PER_MINUTE": "0",
                "VOLTWAY_ACCESS_TOKEN_TTL": "3600",
                "VOLTWAY_SESSION_START_TIMEOUT": "120",
                "VOLTWAY_OCPP_PORT": str(self.ocpp_port),
                "VOLTWAY_OCPP_HEARTBEAT_INTERVAL": "3600",
            }
        )
        command = [sys.executable]
        if profile:
            command += ["-m", "cProfile", "-o", profile]
        command += ["-m", "api", "serve", "--port", str(self.port)]
        if pin:
            command = ["taskset", "-c", "0", *command]
        self.log_path = data_dir / "server.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(command, env=env, cwd=REPO, stdout=self._log, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{self.port}"

    async def ready(self, seconds: float = 60.0) -> None:
        deadline = time.monotonic() + seconds
        async with httpx.AsyncClient(timeout=2, trust_env=False) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    break
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(f"{self.base}/ready")).status_code == 200:
                        return
                await asyncio.sleep(0.2)
        msg = f"the server did not become ready; its log:\n{self.tail()}"
        raise RuntimeError(msg)

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def tail(self, lines: int = 30) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


# ----- a charger ---------------------------------------------------------------------------------------------


class Charger:
    """One OCPP 1.6J charge point on its own websocket: boots, accepts remote starts, sends meter values."""

    def __init__(self, ocpp_id: str, evse_uid: str) -> None:
        self.ocpp_id = ocpp_id
        self.evse_uid = evse_uid
        self.socket: ClientConnection | None = None
        self.reader: asyncio.Task[None] | None = None
        self.pending: dict[str, tuple[asyncio.Future[Any], float]] = {}
        self.ids = itertools.count(1)
        self.register_wh = METER_START_WH
        self.transaction_id: int | None = None
        self.started: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.meter_round_trips: list[float] | None = None  # set while measuring
        self.errors: list[str] = []
        self.tasks: set[asyncio.Task[None]] = set()

    async def connect(self, url: str) -> None:
        secret = base64.b64encode(f"{self.ocpp_id}:{CHARGER_PASSWORD}".encode()).decode()
        self.socket = await connect(
            f"{url}/{self.ocpp_id}",
            subprotocols=[Subprotocol("ocpp1.6")],
            additional_headers={"Authorization": f"Basic {secret}"},
            compression=None,
            proxy=None,
            open_timeout=60,
            ping_interval=None,
            close_timeout=2,
        )
        self.reader = asyncio.create_task(self._read())
        boot = await self.call(
            "BootNotification",
            {"chargePointVendor": "Voltway", "chargePointModel": "LiveBench", "chargePointSerialNumber": self.ocpp_id},
        )
        if boot.get("status") != "Accepted":
            msg = f"{self.ocpp_id}: boot {boot}"
            raise RuntimeError(msg)
        await self.status("Available")

    async def status(self, status: str) -> None:
        await self.call(
            "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": status, "timestamp": iso_now()}
        )

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        assert self.socket is not None
        message_id = f"{next(self.ids)}"
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[message_id] = (future, time.perf_counter())
        await self.socket.send(_encode([2, message_id, action, payload]).decode())
        async with asyncio.timeout(CALL_TIMEOUT):
            result: dict[str, Any] = await future
        return result

    async def _read(self) -> None:
        assert self.socket is not None
        with contextlib.suppress(ConnectionClosed):
            async for raw in self.socket:
                now = time.perf_counter()
                frame = _decode_frame(raw)
                kind = frame[0]
                if kind == 2:
                    await self._command(frame[1], frame[2], frame[3])
                    continue
                entry = self.pending.pop(frame[1], None)
                if entry is None:
                    continue
                future, sent = entry
                if kind == 3:
                    if self.meter_round_trips is not None and frame[1].startswith("m"):
                        self.meter_round_trips.append(now - sent)
                    if not future.done():
                        future.set_result(frame[2])
                else:
                    self.errors.append(f"{frame[2]}: {frame[3]}")
                    if not future.done():
                        future.set_exception(RuntimeError(f"CallError {frame[2]}: {frame[3]}"))
        for future, _ in self.pending.values():
            if not future.done():
                future.set_exception(ConnectionError(f"{self.ocpp_id} disconnected"))

    async def _command(self, message_id: str, action: str, payload: dict[str, Any]) -> None:
        assert self.socket is not None
        if action == "RemoteStartTransaction":
            await self.socket.send(_encode([3, message_id, {"status": "Accepted"}]).decode())
            task = asyncio.create_task(self._start(str(payload["idTag"])))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        elif action in ("RemoteStopTransaction", "UnlockConnector", "Reset", "ChangeAvailability"):
            await self.socket.send(_encode([3, message_id, {"status": "Accepted"}]).decode())
        else:
            await self.socket.send(_encode([3, message_id, {}]).decode())

    async def _start(self, id_tag: str) -> None:
        try:
            await self.status("Preparing")
            result = await self.call(
                "StartTransaction",
                {"connectorId": 1, "idTag": id_tag, "meterStart": self.register_wh, "timestamp": iso_now()},
            )
            if result.get("idTagInfo", {}).get("status") != "Accepted":
                msg = f"{self.ocpp_id}: StartTransaction answered {result}"
                raise RuntimeError(msg)
            self.transaction_id = int(result["transactionId"])
            await self.status("Charging")
            self.started.set_result(self.transaction_id)
        except Exception as exc:  # handed to whoever waits for the start
            if not self.started.done():
                self.started.set_exception(exc)

    async def send_meter_values(self) -> tuple[int, float]:
        """Send the next reading without waiting for the answer; returns (Wh since the start, send instant)."""
        assert self.socket is not None
        assert self.transaction_id is not None
        self.register_wh += STEP_WH
        message_id = f"m{next(self.ids)}"
        frame = [
            2,
            message_id,
            "MeterValues",
            {
                "connectorId": 1,
                "transactionId": self.transaction_id,
                "meterValue": [
                    {
                        "timestamp": iso_now(),
                        "sampledValue": [
                            {
                                "value": str(self.register_wh),
                                "context": "Sample.Periodic",
                                "measurand": "Energy.Active.Import.Register",
                                "unit": "Wh",
                            },
                            {
                                "value": str(POWER_W),
                                "context": "Sample.Periodic",
                                "measurand": "Power.Active.Import",
                                "unit": "W",
                            },
                        ],
                    }
                ],
            },
        ]
        text = _encode(frame).decode()
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        sent = time.perf_counter()
        self.pending[message_id] = (future, sent)
        await self.socket.send(text)
        return self.register_wh - METER_START_WH, sent

    async def close(self) -> None:
        if self.socket is not None:
            with contextlib.suppress(Exception):
                await self.socket.close()
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader


# ----- a live session and its watcher --------------------------------------------------------------------------


@dataclass
class Live:
    """One session: its charger, the driver's WebSocket, and the sends still waiting for their update."""

    charger: Charger
    session_id: str
    token: str
    socket: ClientConnection | None = None
    watcher: asyncio.Task[None] | None = None
    waiting: dict[int, tuple[float, bool]] = field(default_factory=dict)  # Wh since start -> (sent, counted)
    unmatched: int = 0
    closed_early: bool = False


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)


async def watch(live: Live, base_ws: str, tally: Tally, subscribed: asyncio.Future[None]) -> None:
    """Read the driver's WebSocket; each update whose energy matches a send closes that send's latency."""
    url = f"{base_ws}/v1/sessions/{live.session_id}/live?token={live.token}"
    try:
        live.socket = await connect(url, compression=None, proxy=None, open_timeout=60, ping_interval=None)
    except Exception as exc:
        subscribed.set_exception(exc)
        return
    decoder = msgspec.json.Decoder(_Update)
    first = True
    try:
        async for raw in live.socket:
            now = time.perf_counter()
            if first:  # the session as it is now, sent once subscribed
                first = False
                subscribed.set_result(None)
                continue
            update = decoder.decode(raw)
            wh = int((update.energyKwh * 1000).to_integral_value())
            entry = live.waiting.pop(wh, None)
            if entry is None:
                live.unmatched += 1
            elif entry[1]:
                tally.latencies.append(now - entry[0])
    except ConnectionClosed:
        pass
    if first and not subscribed.done():
        subscribed.set_exception(ConnectionError(f"live socket of {live.session_id} closed before the first update"))
    live.closed_early = True


# ----- the run -----------------------------------------------------------------------------------------------


class Bench:
    def __init__(self, server: Server, uids: dict[str, str], args: argparse.Namespace) -> None:
        self.server = server
        self.args = args
        self.chargers = [Charger(ocpp_id, uid) for ocpp_id, uid in sorted(uids.items())]
        self.client = httpx.AsyncClient(
            timeout=60, trust_env=False, limits=httpx.Limits(max_connections=64, max_keepalive_connections=64)
        )
        self.drivers: list[tuple[str, dict[str, str]]] = []  # (access token, headers)
        self.lives: list[Live] = []
        self.tally = Tally()
        self.base_ws = server.base.replace("http://", "ws://")

    async def connect_chargers(self) -> float:
        started = time.perf_counter()
        url = f"ws://127.0.0.1:{self.server.ocpp_port}/ocpp"
        gate = asyncio.Semaphore(100)

        async def one(charger: Charger) -> None:
            async with gate:
                await charger.connect(url)

        await asyncio.gather(*(one(c) for c in self.chargers))
        deadline = time.monotonic() + 60
        while await count_available(self.args.url) < len(self.chargers):
            if time.monotonic() > deadline:
                msg = "chargers did not all show as connected and Available in the database within 60 s"
                raise RuntimeError(msg)
            await asyncio.sleep(0.25)
        return time.perf_counter() - started

    async def sign_in_drivers(self) -> None:
        for n in range(self.args.drivers):
            email = f"live-driver-{n}@example.com"
            body = {"email": email, "password": DRIVER_PASSWORD, "name": f"Driver {n}", "locale": "en"}
            registered = await self.client.post(f"{self.server.base}/v1/auth/register", json=body)
            if registered.status_code >= 300:
                msg = f"register: {registered.status_code} {registered.text}"
                raise RuntimeError(msg)
            login = await self.client.post(
                f"{self.server.base}/v1/auth/login", json={"email": email, "password": DRIVER_PASSWORD}
            )
            token = str(login.json()["accessToken"])
            self.drivers.append((token, {"Authorization": f"Bearer {token}"}))

    async def start_sessions(self, chargers: Sequence[Charger]) -> float:
        """POST /v1/sessions for each charger, wait for every session to be charging and every WS subscribed."""
        started = time.perf_counter()
        gate = asyncio.Semaphore(START_CONCURRENCY)
        first_index = len(self.lives)

        async def one(index: int, charger: Charger) -> Live:
            token, headers = self.drivers[index % len(self.drivers)]
            async with gate:
                response = await self.client.post(
                    f"{self.server.base}/v1/sessions",
                    json={"evseUid": charger.evse_uid},
                    headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
                )
            if response.status_code != 202:
                msg = f"start at {charger.evse_uid}: {response.status_code} {response.text}"
                raise RuntimeError(msg)
            async with asyncio.timeout(120):
                await charger.started
            return Live(charger, str(response.json()["id"]), token)

        fresh: list[Live] = []
        if first_index == 0 and chargers:
            # The first StartTransaction on a fresh database creates the "ocpp-transactions" counter row
            # (bump_counter in api/domain/stations/store.py inserts it when its UPDATE finds none): concurrent
            # first starts on PostgreSQL race on that insert and all but one get a CallError. One start alone first.
            fresh.append(await one(0, chargers[0]))
        rest = chargers[len(fresh) :]
        fresh += await asyncio.gather(*(one(first_index + len(fresh) + i, c) for i, c in enumerate(rest)))
        await self._wait_charging({live.session_id for live in fresh})
        subscriptions = []
        for live in fresh:
            subscribed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            live.watcher = asyncio.create_task(watch(live, self.base_ws, self.tally, subscribed))
            subscriptions.append(subscribed)
            if len(subscriptions) % 100 == 0:
                await asyncio.gather(*subscriptions[-100:])
        await asyncio.gather(*subscriptions)
        self.lives.extend(fresh)
        return time.perf_counter() - started

    async def _wait_charging(self, session_ids: set[str]) -> None:
        deadline = time.monotonic() + 120
        while True:
            charging: set[str] = set()
            for _, headers in self.drivers:
                active = await self.client.get(f"{self.server.base}/v1/sessions/active", headers=headers)
                charging |= {s["id"] for s in active.json() if s["status"] == "charging"}
            missing = session_ids - charging
            if not missing:
                return
            if time.monotonic() > deadline:
                msg = f"{len(missing)} sessions not charging after 120 s"
                raise RuntimeError(msg)
            await asyncio.sleep(0.5)

    async def pace(self, lives: Sequence[Live], seconds: float, *, counted: bool) -> tuple[int, float]:
        """Each session sends one MeterValues per interval, the sends spread evenly; returns (sent, worst slip)."""
        slot = self.args.interval / len(lives)
        start = time.perf_counter() + 0.05
        end = start + seconds
        k = 0
        slip = 0.0
        while True:
            due = start + k * slot
            if due >= end:
                break
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            now = time.perf_counter()
            while due <= now and due < end:
                live = lives[k % len(lives)]
                wh, sent = await live.charger.send_meter_values()
                live.waiting[wh] = (sent, counted)
                slip = max(slip, sent - due)
                k += 1
                due = start + k * slot
        return k, slip

    async def phase(self, count: int) -> dict[str, Any]:
        lives = self.lives[:count]
        await self.pace(lives, self.args.warm_up, counted=False)
        round_trips: list[float] = []
        for live in lives:
            live.charger.meter_round_trips = round_trips
        self.tally.latencies = []
        unmatched_before = sum(live.unmatched for live in lives)
        lags: list[float] = []
        monitor = asyncio.create_task(_loop_lag(lags))
        cpu, own, wall = self.server.cpu_seconds(), _own_cpu(), time.perf_counter()
        sent, slip = await self.pace(lives, self.args.seconds, counted=True)
        elapsed = time.perf_counter() - wall
        monitor.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await monitor
        server_cpu = (self.server.cpu_seconds() - cpu) / elapsed
        own_cpu = (_own_cpu() - own) / elapsed
        await asyncio.sleep(3.0)  # let the last updates arrive
        for live in lives:
            live.charger.meter_round_trips = None
        lost = sum(1 for live in lives for _, counted in live.waiting.values() if counted)
        for live in lives:
            live.waiting.clear()
        ordered = sorted(self.tally.latencies)
        trips = sorted(round_trips)
        return {
            "sessions": count,
            "sent": sent,
            "updates": len(ordered),
            "lost": lost,
            "unmatched": sum(live.unmatched for live in lives) - unmatched_before,
            "closed": sum(1 for live in lives if live.closed_early),
            "rate": sent / elapsed,
            "p50": percentile(ordered, 0.50) * 1000,
            "p95": percentile(ordered, 0.95) * 1000,
            "p99": percentile(ordered, 0.99) * 1000,
            "max": (ordered[-1] if ordered else 0.0) * 1000,
            "rt_p50": percentile(trips, 0.50) * 1000,
            "rt_p99": percentile(trips, 0.99) * 1000,
            "server_cpu": server_cpu,
            "own_cpu": own_cpu,
            "slip": slip * 1000,
            "lag": max(lags, default=0.0) * 1000,
            "over_target": sum(1 for latency in ordered if latency * 1000 >= TARGET_P99_MS),
            "rss": self.server.rss_mib(),
            "errors": sum(len(live.charger.errors) for live in lives),
            "load": loadavg(),
        }

    async def close(self) -> None:
        async def shut(live: Live) -> None:
            if live.socket is not None:
                with contextlib.suppress(Exception):
                    await live.socket.close()
            if live.watcher is not None:
                live.watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await live.watcher

        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(20):
                await asyncio.gather(*(shut(live) for live in self.lives))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(20):
                await asyncio.gather(*(charger.close() for charger in self.chargers))
        await self.client.aclose()


async def _loop_lag(lags: list[float]) -> None:
    """How late this process's event loop wakes up: a stall here would inflate the measured latencies."""
    while True:
        before = time.perf_counter()
        await asyncio.sleep(LAG_TICK)
        lags.append(time.perf_counter() - before - LAG_TICK)


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def describe(result: dict[str, Any]) -> str:
    return (
        f"{result['sessions']:>5,} sessions: updates {result['updates']:,} of {result['sent']:,} MeterValues sent "
        f"({result['rate']:,.0f}/s), lost {result['lost']}; latency p50 {result['p50']:.1f} ms, "
        f"p95 {result['p95']:.1f} ms, p99 {result['p99']:.1f} ms, max {result['max']:.1f} ms "
        f"({result['over_target']} at or over {TARGET_P99_MS:.0f} ms)\n"
        f"        MeterValues CallResult p50 {result['rt_p50']:.1f} ms, p99 {result['rt_p99']:.1f} ms; "
        f"server CPU {result['server_cpu']:.0%} of a core, RSS {result['rss']:.0f} MiB; load generator CPU "
        f"{result['own_cpu']:.0%}, its worst loop lag {result['lag']:.1f} ms, send slip {result['slip']:.1f} ms\n"
        f"        CallErrors {result['errors']}, unmatched updates {result['unmatched']}, sockets closed "
        f"{result['closed']}; load {result['load']}"
    )


async def run(args: argparse.Namespace, server: Server, uids: dict[str, str]) -> list[dict[str, Any]]:
    await server.ready()
    bench = Bench(server, uids, args)
    results: list[dict[str, Any]] = []
    try:
        seconds = await bench.connect_chargers()
        print(f"{len(bench.chargers):,} chargers connected, booted and Available in {seconds:.1f} s", flush=True)
        await bench.sign_in_drivers()
        steps = [n for n in (args.baseline, args.sessions) if n > 0]
        for count in sorted(set(steps)):
            new = bench.chargers[len(bench.lives) : count]
            seconds = await bench.start_sessions(new)
            print(
                f"started {len(new):,} sessions ({count:,} live, {args.drivers} drivers) and subscribed their "
                f"WebSockets in {seconds:.1f} s; measuring {args.warm_up:.0f} s warm-up + {args.seconds:.0f} s",
                flush=True,
            )
            result = await bench.phase(count)
            print(describe(result), flush=True)
            results.append(result)
    finally:
        await bench.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=1000, help="concurrent live sessions (default 1,000)")
    parser.add_argument("--baseline", type=int, default=100, help="sessions of the baseline phase (0 skips it)")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES, help="server to create the bench database on")
    parser.add_argument("--interval", type=float, default=3.0, help="seconds between a session's MeterValues")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured seconds per phase")
    parser.add_argument("--warm-up", type=float, default=5.0, help="uncounted seconds of traffic before each phase")
    parser.add_argument("--drivers", type=int, default=10, help="driver accounts sharing the sessions")
    parser.add_argument("--no-pin", action="store_true", help="do not pin the server to core 0 and this to core 1")
    parser.add_argument("--profile", help="run the server under cProfile and write its stats to this file")
    args = parser.parse_args()
    if args.sessions < 1 or args.baseline < 0 or args.drivers < 1:
        parser.error("--sessions and --drivers must be at least 1, --baseline at least 0")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    pin = not args.no_pin and (os.cpu_count() or 1) >= 2
    if pin:
        os.sched_setaffinity(0, {1})

    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="voltway-bench-live-"))
    if args.database == "postgresql":
        args.url = asyncio.run(create_database(args.postgres_url, "voltway_bench_live"))
        where = f"PostgreSQL ({make_url(args.url).render_as_string(hide_password=True)})"
    else:
        args.url = f"sqlite+aiosqlite:///{work}/voltway.db"
        where = "SQLite (temp dir)"
    print(f"database {where}; {os.cpu_count()} cores, server pinned: {pin}; load at start {loadavg()}")
    chargers = max(args.sessions, args.baseline)
    server: Server | None = None
    try:
        seconds = time.perf_counter()
        uids = asyncio.run(provision(args.url, chargers))
        print(f"provisioned {chargers:,} chargers and the tariff in {time.perf_counter() - seconds:.1f} s", flush=True)
        server = Server(args.url, work, pin=pin, profile=args.profile)
        try:
            results = asyncio.run(run(args, server, uids))
        except Exception:
            print(f"server log (last lines):\n{server.tail()}", file=sys.stderr)
            raise
    finally:
        if server is not None:
            server.stop()
        if args.database == "postgresql":
            asyncio.run(drop_database(args.url))
        shutil.rmtree(work, ignore_errors=True)

    print()
    print(
        f"== live session updates: MeterValues sent -> update on the driver's WebSocket, {where}, "
        f"one MeterValues per session every {args.interval:g} s, {args.seconds:g} s measured per phase =="
    )
    for result in results:
        print(describe(result))
    final = results[-1]
    met = final["p99"] < TARGET_P99_MS and final["lost"] == 0 and final["updates"] > 0
    print(
        f"target p99 < {TARGET_P99_MS:.0f} ms with {final['sessions']:,} live sessions and no update lost: "
        f"{'met' if met else 'MISSED'} (p99 {final['p99']:.1f} ms, lost {final['lost']})"
    )
    print(f"wall time {time.perf_counter() - started:.0f} s; load at end {loadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
