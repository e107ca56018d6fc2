"""The demo network end to end: `voltway serve` with its OCPP bridge, `voltway simulate` chargers over real
websockets, the map showing live statuses, operator commands reaching a charger, and data in the database."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from api.db.engine import create_engine
from api.db.models import ChargingStation, ChargingTransaction, MeterSampleRecord
from tests.support import cli_environment, free_port, wait_until_ready

VOLTWAY = [sys.executable, "-m", "api"]


class Network:
    def __init__(self, base: str, env: dict[str, str], ocpp_port: int, database_url: str) -> None:
        self.base = base
        self.env = env
        self.ocpp_port = ocpp_port
        self.database_url = database_url


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    tmp = tmp_path_factory.mktemp("network")
    port = free_port()
    env = cli_environment(tmp, VOLTWAY_CATALOG_POLL_MS="200")
    database_url, ocpp_port = env["VOLTWAY_DATABASE_URL"], int(env["VOLTWAY_OCPP_PORT"])
    seeded = subprocess.run(
        [*VOLTWAY, "seed", "demo"], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert seeded.returncode == 0, seeded.stderr
    assert "SIM-00001" in seeded.stdout
    server = subprocess.Popen(
        [*VOLTWAY, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base)
        yield Network(base, env, ocpp_port, database_url)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def admin_headers(base: str) -> dict[str, str]:
    tokens = httpx.post(f"{base}/v1/auth/login", json={"email": "admin@example.com", "password": "voltway-demo"}).json()
    return {"Authorization": f"Bearer {tokens['accessToken']}"}


async def count(database_url: str, *columns: object) -> list[int]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return [int((await connection.execute(select(func.count()).select_from(c))).scalar_one()) for c in columns]  # type: ignore[arg-type]
    finally:
        await engine.dispose()


def start_simulator(network: Network, *options: str, ignore_ctrl_c: bool = False) -> subprocess.Popen[str]:
    """`voltway simulate` against the network, its output captured."""
    return subprocess.Popen(
        [*VOLTWAY, "simulate", *options],
        env=network.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if ignore_ctrl_c else None,
    )


def sim_evse_status(base: str) -> dict[str, str]:
    """Status source of every EVSE the map shows around Amsterdam (where SIM-00001... stand)."""
    items = httpx.get(f"{base}/v1/stations", params={"lat": 52.37, "lon": 4.9, "radius": 30000, "limit": 100}).json()
    return {evse["uid"]: evse["statusSource"] for item in items["items"] for evse in item["evses"]}


def test_simulated_chargers_charge_and_obey_commands(network: Network) -> None:
    before = sim_evse_status(network.base)
    assert before
    assert set(before.values()) == {"offline"}  # provisioned, never heard from: never shown as available

    simulator = start_simulator(network, "--chargers", "20", "--duration", "12", "--speed", "120", "--seed", "3")
    try:
        headers = admin_headers(network.base)
        deadline = time.monotonic() + 10
        connected: list[dict[str, object]] = []
        while time.monotonic() < deadline:
            chargers = httpx.get(f"{network.base}/v1/admin/chargers", headers=headers).json()
            connected = [c for c in chargers if c["connected"]]
            if len(connected) >= 20:
                break
            time.sleep(0.3)
        assert len(connected) == 20
        assert {c["ocppVersion"] for c in connected} == {"1.6"}

        reset = httpx.post(
            f"{network.base}/v1/admin/chargers/SIM-00001/commands/reset", json={"type": "Soft"}, headers=headers
        )
        assert reset.status_code == 200, reset.text
        assert reset.json()["status"] in {"Accepted", "Rejected"}
        unknown = httpx.post(f"{network.base}/v1/admin/chargers/SIM-00001/commands/dance", json={}, headers=headers)
        assert unknown.status_code == 404
        offline = httpx.post(f"{network.base}/v1/admin/chargers/SIM-01000/commands/reset", json={}, headers=headers)
        assert offline.status_code == 409
        assert offline.headers["content-type"] == "application/problem+json"

        live = {uid: source for uid, source in sim_evse_status(network.base).items() if source == "live"}
        assert live, "no EVSE shows a live status while its charger is connected"
    finally:
        out, err = simulator.communicate(timeout=60)
    assert simulator.returncode == 0, err
    assert '"call_errors": 0' in out

    transactions, samples, stations = asyncio.run(
        count(network.database_url, ChargingTransaction, MeterSampleRecord, ChargingStation)
    )
    assert stations == 1066
    assert transactions > 0
    assert samples > 0
    deadline = time.monotonic() + 5
    while "live" in sim_evse_status(network.base).values():
        assert time.monotonic() < deadline, "chargers that disconnected still show live statuses"
        time.sleep(0.2)


def test_ocpp_201_chargers_report_transactions(network: Network) -> None:
    before = asyncio.run(count(network.database_url, ChargingTransaction))[0]
    result = subprocess.run(
        [
            *VOLTWAY,
            "simulate",
            "--ocpp",
            "2.0.1",
            "--chargers",
            "10",
            "--duration",
            "8",
            "--speed",
            "120",
            "--seed",
            "9",
        ],
        env=network.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert '"call_errors": 0' in result.stdout
    after = asyncio.run(count(network.database_url, ChargingTransaction))[0]
    assert after > before


def test_a_driver_charges_on_the_demo_network(network: Network) -> None:
    """The quick start's promise: sign in, find a simulated charger on the map, charge, watch, stop, read the
    receipt whose total is what was billed (the demo bills outside the app)."""
    simulator = start_simulator(
        network, "--chargers", "5", "--duration", "90", "--speed", "30", "--fault-rate", "0", "--arrival-rate", "0"
    )
    try:
        login = httpx.post(
            f"{network.base}/v1/auth/login", json={"email": "driver@example.com", "password": "voltway-demo"}
        ).json()
        headers = {"Authorization": f"Bearer {login['accessToken']}"}
        # Like a driver on the map: pick a charger shown available; if it has just gone offline or does not
        # start, pick another.
        deadline = time.monotonic() + 60
        attempt = 0
        session_id = ""
        view: dict[str, object] = {}
        tried: list[str] = []
        while not session_id and time.monotonic() < deadline:
            page = httpx.get(
                f"{network.base}/v1/stations", params={"lat": 52.37, "lon": 4.9, "radius": 30000, "limit": 100}
            ).json()
            candidates = [
                evse["uid"]
                for item in page["items"]
                for evse in item["evses"]
                if evse["statusSource"] == "live" and evse["status"] == "AVAILABLE" and evse["uid"] not in tried
            ]
            for uid in candidates[:1]:
                tried.append(uid)
                attempt += 1
                answer = httpx.post(
                    f"{network.base}/v1/sessions",
                    json={"evseUid": uid},
                    headers={"Idempotency-Key": f"demo-journey-{attempt}", **headers},
                )
                if answer.status_code != 202:
                    assert answer.status_code == 409, answer.text
                    continue
                candidate = answer.json()["id"]
                wait_until = time.monotonic() + 20
                while time.monotonic() < wait_until:
                    view = httpx.get(f"{network.base}/v1/sessions/{candidate}", headers=headers).json()
                    if view["status"] == "failed" or (
                        view["status"] == "charging" and float(str(view["energyKwh"])) > 0
                    ):
                        break
                    time.sleep(0.3)
                if view["status"] == "charging":
                    session_id = candidate
            time.sleep(0.3)
        assert session_id, f"no simulated charger on the map could be started (tried {tried}, last {view})"
        assert view["priceText"]
        assert httpx.post(f"{network.base}/v1/sessions/{session_id}/stop", headers=headers).status_code == 202
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            view = httpx.get(f"{network.base}/v1/sessions/{session_id}", headers=headers).json()
            if view["status"] == "completed":
                break
            time.sleep(0.3)
        assert view["status"] == "completed"
        receipt = httpx.get(f"{network.base}/v1/sessions/{session_id}/receipt", headers=headers).json()
        cost = view["cost"]
        assert isinstance(cost, dict)
        payment = view["payment"]
        assert isinstance(payment, dict)
        assert receipt["amountDue"] == cost["amount"] == receipt["totalInclVat"]
        assert payment["captured"] == "0"  # billed outside the app: no money was taken in it
        assert payment["status"] == "billed_outside"
    finally:
        simulator.send_signal(signal.SIGINT)
        out, err = stop_within(simulator, 60)
    assert simulator.returncode == 0, err  # Ctrl-C ends the run early, not in error
    assert '"call_errors": 0' in out  # ... and still prints the report


def stop_within(process: subprocess.Popen[str], seconds: float) -> tuple[str, str]:
    """Its output once it has exited; killed, with its stderr shown, when it does not exit in time."""
    try:
        return process.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        _, log = process.communicate()
        print(f"{process.args!r} did not stop within {seconds} s; its stderr:\n{log[-4000:]}")
        raise


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_the_simulator_stops_on_a_signal_even_when_started_in_the_background(
    network: Network, stop_signal: signal.Signals
) -> None:
    """A script that starts `voltway simulate &` leaves SIGINT ignored in it; Ctrl-C or `kill` must still stop it
    at once, every charger disconnected and the report printed."""
    simulator = start_simulator(
        network,
        *("--chargers", "3", "--duration", "600", "--speed", "30", "--arrival-rate", "0"),
        ignore_ctrl_c=True,  # as a non-interactive shell's `&` does
    )
    try:
        assert simulator.stdout is not None
        assert simulator.stdout.readline().startswith("simulating 3 OCPP 1.6 chargers against ws://")
        headers = admin_headers(network.base)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            chargers = httpx.get(f"{network.base}/v1/admin/chargers", headers=headers).json()
            if len([c for c in chargers if c["connected"]]) >= 3:
                break
            time.sleep(0.2)
        started = time.monotonic()
    finally:
        simulator.send_signal(stop_signal)
        out, err = stop_within(simulator, 60)
    assert simulator.returncode == 0, err
    assert time.monotonic() - started < 30  # not the 600 s it was asked to run
    assert '"boots": 3' in out
    deadline = time.monotonic() + 10
    while [c for c in httpx.get(f"{network.base}/v1/admin/chargers", headers=headers).json() if c["connected"]]:
        assert time.monotonic() < deadline, "chargers still connected after the simulator stopped"
        time.sleep(0.2)
