"""Two `voltway serve` processes on one PostgreSQL: a command sent through one reaches a charger held by the other."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
import websockets
from sqlalchemy.engine import make_url

from tests.support import cli_environment, free_port, skip_or_fail, wait_until_ready

VOLTWAY = [sys.executable, "-m", "api"]
CHARGER_PASSWORD = "e2e-charger-secret-123"


def dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    base = os.environ.get("VOLTWAY_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    name = f"voltway_e2e_{os.getpid()}_{secrets.token_hex(3)}"

    async def create() -> None:
        connection = await asyncpg.connect(dsn(base), timeout=5)
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    async def drop() -> None:
        connection = await asyncpg.connect(dsn(base), timeout=5)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()

    try:
        asyncio.run(create())
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        skip_or_fail("VOLTWAY_REQUIRE_POSTGRES", f"PostgreSQL is not reachable: {exc}")
    yield make_url(base).set(database=name).render_as_string(hide_password=False)
    asyncio.run(drop())


def start_server(env: dict[str, str], port: int, ocpp_port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*VOLTWAY, "serve", "--port", str(port), "--ocpp-port", str(ocpp_port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop_all(servers: list[subprocess.Popen[bytes]], simulator: subprocess.Popen[str] | None) -> None:
    if simulator is not None:
        simulator.kill()
        simulator.communicate(timeout=30)
    for server in servers:
        server.send_signal(signal.SIGINT)
    for server in servers:
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def cli_runner(env: dict[str, str]) -> Callable[..., str]:
    def cli(*args: str) -> str:
        done = subprocess.run([*VOLTWAY, *args], env=env, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout

    return cli


def test_command_crosses_processes(postgres_url: str, tmp_path: Path) -> None:
    env = cli_environment(tmp_path, VOLTWAY_DATABASE_URL=postgres_url)

    cli = cli_runner(env)
    cli("db", "upgrade")
    cli("chargers", "add", "E2E-00001", "--password", CHARGER_PASSWORD, "--lat", "52.37", "--lon", "4.89")
    cli("users", "add", "ops@example.com", "--role", "admin", "--password", "operator password")

    ports = [(free_port(), free_port()), (free_port(), free_port())]
    servers = [start_server(env, port, ocpp) for port, ocpp in ports]
    simulator: subprocess.Popen[str] | None = None
    try:
        a, b = (f"http://127.0.0.1:{port}" for port, _ in ports)
        wait_until_ready(a)
        wait_until_ready(b)
        simulator = subprocess.Popen(
            [
                *VOLTWAY, "simulate", "--url", f"ws://127.0.0.1:{ports[1][1]}/ocpp", "--chargers", "1",
                "--id-prefix", "E2E-", "--password", CHARGER_PASSWORD, "--duration", "20",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        login = httpx.post(f"{a}/v1/auth/login", json={"email": "ops@example.com", "password": "operator password"})
        headers = {"Authorization": f"Bearer {login.json()['accessToken']}"}
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            listed = httpx.get(f"{a}/v1/admin/chargers", headers=headers).json()
            if listed and listed[0]["connected"]:
                break
            time.sleep(0.2)
        assert listed[0]["connected"], listed
        holder = listed[0]["heldBy"]
        assert holder

        # Sent to process A; the charger's socket is held by process B.
        answer = httpx.post(
            f"{a}/v1/admin/chargers/E2E-00001/commands/get-configuration",
            json={"keys": ["HeartbeatInterval"]},
            headers=headers,
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["result"] == "configuration"

        # The charger's last messages, read through process A from process B, which holds them.
        journal = httpx.get(f"{a}/v1/admin/chargers/E2E-00001/journal", headers=headers, timeout=30)
        assert journal.status_code == 200, journal.text
        view = journal.json()
        assert (view["available"], view["connected"]) == (True, True), view
        seen = [(e["direction"], e["messageType"], e["action"]) for e in view["entries"]]
        assert ("charger->csms", "Call", "BootNotification") in seen
        asked = ("csms->charger", "Call", "GetConfiguration")
        assert seen.index(("charger->csms", "CallResult", "GetConfiguration")) > seen.index(asked)

        reset = httpx.post(
            f"{a}/v1/admin/chargers/E2E-00001/commands/reset", json={"type": "Soft"}, headers=headers, timeout=30
        )
        assert reset.status_code == 200, reset.text
        assert reset.json()["status"] in {"Accepted", "Rejected"}
    finally:
        stop_all(servers, simulator)


def test_a_session_is_started_and_watched_through_the_process_without_the_charger(
    postgres_url: str, tmp_path: Path
) -> None:
    """The app talks to process A; the charger's socket is in process B. The start crosses over, and the live
    updates B computes reach the WebSocket on A."""
    env = cli_environment(tmp_path, VOLTWAY_DATABASE_URL=postgres_url)
    cli = cli_runner(env)
    tariff = tmp_path / "tariff.json"
    tariff.write_text(
        '{"id": "E2E-AC", "currency": "EUR", "last_updated": "2026-01-01T00:00:00Z", "elements": '
        '[{"price_components": [{"type": "ENERGY", "price": "0.40", "vat": "21", "step_size": 1}]}]}'
    )
    cli("db", "upgrade")
    cli("tariffs", "import", str(tariff))
    cli(
        "chargers",
        "add",
        "LIVE-00001",
        "--password",
        CHARGER_PASSWORD,
        "--lat",
        "52.1",
        "--lon",
        "5.1",
        "--tariff",
        "E2E-AC",
    )
    ports = [(free_port(), free_port()), (free_port(), free_port())]
    servers = [start_server(env, port, ocpp) for port, ocpp in ports]
    simulator: subprocess.Popen[str] | None = None
    try:
        a, b = (f"http://127.0.0.1:{port}" for port, _ in ports)
        wait_until_ready(a)
        wait_until_ready(b)
        simulator = subprocess.Popen(
            [
                *VOLTWAY, "simulate", "--url", f"ws://127.0.0.1:{ports[1][1]}/ocpp", "--chargers", "1",
                "--id-prefix", "LIVE-", "--password", CHARGER_PASSWORD, "--duration", "40", "--speed", "60",
                "--fault-rate", "0", "--arrival-rate", "0",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        httpx.post(
            f"{a}/v1/auth/register",
            json={"email": "live@example.com", "password": "long enough password", "name": "Live"},
        )
        login = httpx.post(f"{a}/v1/auth/login", json={"email": "live@example.com", "password": "long enough password"})
        token = login.json()["accessToken"]
        headers = {"Authorization": f"Bearer {token}"}
        deadline = time.monotonic() + 20
        evse_uid = None
        while evse_uid is None and time.monotonic() < deadline:
            page = httpx.get(f"{a}/v1/stations", params={"lat": 52.1, "lon": 5.1, "radius": 1000}).json()
            for item in page["items"]:
                for evse in item["evses"]:
                    if evse["status"] == "AVAILABLE":
                        evse_uid = evse["uid"]
            time.sleep(0.2)
        assert evse_uid, "the charger never showed as available"
        started = httpx.post(
            f"{a}/v1/sessions", json={"evseUid": evse_uid}, headers={"Idempotency-Key": "cross", **headers}
        )
        assert started.status_code == 202, started.text
        session_id = started.json()["id"]

        async def watch() -> list[dict[str, object]]:
            url = a.replace("http", "ws") + f"/v1/sessions/{session_id}/live?token={token}"
            received: list[dict[str, object]] = []
            async with websockets.connect(url) as socket:
                async with asyncio.timeout(30):
                    while len([u for u in received if u["status"] == "charging"]) < 3:
                        received.append(json.loads(await socket.recv()))
            return received

        updates = asyncio.run(watch())
        charging = [u for u in updates if u["status"] == "charging"]
        assert float(str(charging[-1]["energyKwh"])) > float(str(charging[0]["energyKwh"]))
        cost = charging[-1]["cost"]
        assert isinstance(cost, dict)
        assert cost["currency"] == "EUR"
    finally:
        stop_all(servers, simulator)
