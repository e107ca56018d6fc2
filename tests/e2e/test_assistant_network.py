"""The assistant end to end: `voltway serve` with its OCPP bridge, a simulated charger over a real websocket,
a driver whose session runs on it. A stuck cable is really stopped and unlocked through the bridge (the
charger's answers appear in the conversation), and a safety message opens an urgent ticket."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from api.db.engine import create_engine
from api.db.models import ChargingTransaction, SupportTicket
from ocpp_bridge.simulator import Simulation, SimulatorConfig
from tests.support import cli_environment, free_port, stop_process, wait_until_ready

VOLTWAY = [sys.executable, "-m", "api"]
CHARGER = "CHATSIM-00001"
SECRET = "a charger secret 123"
PASSWORD = "a long driver password"


def run(env: dict[str, str], *args: str) -> None:
    done = subprocess.run([*VOLTWAY, *args], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr


class RunningSimulation:
    """Simulated chargers on their own event loop in a thread, talking to the server over websockets."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.simulation = Simulation(config)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self.simulation.run(),))

    def __enter__(self) -> Simulation:
        self.thread.start()
        return self.simulation

    def __exit__(self, *_: object) -> None:
        self.loop.call_soon_threadsafe(self.simulation.request_stop)
        self.thread.join(timeout=30)
        self.loop.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    tmp: Path = tmp_path_factory.mktemp("assistant")
    env = cli_environment(tmp, VOLTWAY_CATALOG_POLL_MS="200")
    run(env, "users", "add", "dana@example.com", "--role", "driver", "--password", PASSWORD)
    run(env, "users", "add", "ops@example.com", "--role", "admin", "--password", PASSWORD)
    run(env, "chargers", "add", CHARGER, "--password", SECRET, "--lat", "52.37", "--lon", "4.9", "--name", "Depot")
    run(env, "tokens", "add", "TAG-DANA", "--driver", "dana@example.com")
    port = free_port()
    process = subprocess.Popen(
        [*VOLTWAY, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base)
        yield base, env
    finally:
        stop_process(process, 30)


def headers_of(base: str, email: str) -> dict[str, str]:
    tokens = httpx.post(f"{base}/v1/auth/login", json={"email": email, "password": PASSWORD}).json()
    return {"Authorization": f"Bearer {tokens['accessToken']}"}


def wait_for(condition: object, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.2)
    pytest.fail("timed out waiting for the network")


async def _rows(database_url: str, model: type[ChargingTransaction] | type[SupportTicket]) -> list[object]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return list((await connection.execute(select(model.__table__))).all())
    finally:
        await engine.dispose()


def rows(env: dict[str, str], model: type[ChargingTransaction] | type[SupportTicket]) -> list[object]:
    return asyncio.run(_rows(env["VOLTWAY_DATABASE_URL"], model))


def test_stuck_cable_unlocked_through_the_bridge_and_safety_ticket(server: tuple[str, dict[str, str]]) -> None:
    base, env = server
    config = SimulatorConfig(
        url=f"ws://127.0.0.1:{env['VOLTWAY_OCPP_PORT']}/ocpp",
        chargers=1,
        id_prefix="CHATSIM-",
        password=SECRET,
        duration=None,
        arrival_rate=0.0,
        fault_rate=0.0,
        disconnect_rate=0.0,
        meter_interval=2.0,
    )
    with RunningSimulation(config) as simulation:
        admin = headers_of(base, "ops@example.com")

        def connected() -> bool:
            chargers = httpx.get(f"{base}/v1/admin/chargers", headers=admin).json()
            return any(c["ocppId"] == CHARGER and c["connected"] for c in chargers)

        wait_for(connected)
        started = httpx.post(
            f"{base}/v1/admin/chargers/{CHARGER}/commands/remote-start",
            json={"id_token": "TAG-DANA", "connector_id": 1},
            headers=admin,
        )
        assert started.json()["status"] == "Accepted", started.text
        wait_for(lambda: any(getattr(r, "status", "") == "active" for r in rows(env, ChargingTransaction)))

        driver = headers_of(base, "dana@example.com")
        conversation = httpx.post(f"{base}/v1/chat/conversations", json={}, headers=driver).json()
        path = f"{base}/v1/chat/conversations/{conversation['id']}/messages"
        reply = httpx.post(path, json={"text": "my cable is stuck and won't come out"}, headers=driver).json()
        assert reply["intent"] == "cable_stuck"
        assert reply["proposedAction"]["kind"] == "stop-and-unlock"
        assert simulation.report.unlocks == 0  # nothing reaches the charger before the driver confirms

        done = httpx.post(
            path, json={"confirmActionId": reply["proposedAction"]["id"]}, headers=driver, timeout=60
        ).json()
        assert [(a["kind"], a["status"]) for a in done["performedActions"]] == [
            ("remote-stop", "Accepted"),
            ("unlock", "Unlocked"),
        ]
        assert "Unlock on Depot, " in done["text"]
        assert 'the charger answered "Unlocked".' in done["text"]
        assert CHARGER not in done["text"]
        assert simulation.report.unlocks == 1
        wait_for(lambda: all(getattr(r, "status", "") == "ended" for r in rows(env, ChargingTransaction)))

        safety = httpx.post(path, json={"text": "now there is smoke coming out of the charger!"}, headers=driver)
        body = safety.json()
        assert body["intent"] == "safety_hazard"
        assert body["ticketId"].startswith("T-")
        assert body["expectedResponseMinutes"] == 15
        [ticket] = rows(env, SupportTicket)
        assert ticket.priority == "urgent"  # type: ignore[attr-defined]
        assert [a["status"] for a in ticket.actions_tried] == ["Accepted", "Unlocked"]  # type: ignore[attr-defined]
        shown = httpx.get(f"{base}/v1/chat/conversations/{conversation['id']}", headers=driver).json()
        assert shown["ticketId"] == body["ticketId"]


def test_classify_reads_lines_and_json_lines(server: tuple[str, dict[str, str]]) -> None:
    _, env = server
    done = subprocess.run(
        [*VOLTWAY, "chat", "classify"],
        env=env,
        input='the charger is on fire\n{"text": "mot de passe oublié"}\nwho won the match\n',
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(line["text"], line["intent"]) for line in lines] == [
        ("the charger is on fire", "safety_hazard"),
        ("mot de passe oublié", "account_access"),
        ("who won the match", "out_of_scope"),
    ]
    assert all(0 <= line["confidence"] <= 1 for line in lines)


def test_interactive_chat_in_the_terminal(server: tuple[str, dict[str, str]]) -> None:
    _, env = server
    done = subprocess.run(
        [*VOLTWAY, "chat", "--driver", "dana@example.com"],
        env=env,
        input="how much does charging cost?\nI want to talk to a person\nquit\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "assistant> Hello!" in done.stdout
    assert "[ticket T-" in done.stdout
    unknown = subprocess.run(
        [*VOLTWAY, "chat", "--driver", "nobody@example.com"],
        env=env,
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert unknown.returncode == 2
    assert "no account" in unknown.stderr
