"""How long the server's event loop stalls while the heaviest valid request of each public endpoint runs.

One `voltway serve` process (pinned to core 0) holds the 53,035 AFDC stations and one connected charger.
From this process (core 1), one client sends the heavy request back to back while a second one measures the
round trip of `GET /health` and of an OCPP Heartbeat every 10 ms. Anything a request does on the event loop
shows up as extra round trip; the idle round trip, measured in the same run, is the baseline. Target: no
request holds the loop for more than 10 ms (p99 lag under 10 ms).

Usage: python bench/bench_event_loop.py [--seconds S]
Needs ../shared/data/afdc next to the repository.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.db.engine import create_engine, create_session_factory
from api.domain.chargers.provisioning import add_charger
from bench.bench_stations import SHARED, fill, free_port
from bench.served_api import serve_pinned

CHARGERS = [f"LOOP-BENCH-{n}" for n in range(1, 9)]  # taking turns: each stays under its 20 messages/s
CHARGER_PASSWORD = "loop-bench-charger-password"
PROBE_INTERVAL_S = 0.010
TARGET_LAG_MS = 10.0


async def provision(url: str) -> None:
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session:
            for n, ocpp_id in enumerate(CHARGERS):
                await add_charger(
                    session,
                    ocpp_id=ocpp_id,
                    password=CHARGER_PASSWORD,
                    country_code="US",
                    party_id="VWY",
                    coordinates=(40.75 + n / 1000, -73.99),
                    name=f"Loop bench {n}",
                )
            await session.commit()
    finally:
        await engine.dispose()


class Charger:
    """One OCPP 1.6J charger that can time a Heartbeat round trip."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.ids = itertools.count(1)

    @classmethod
    async def connect(cls, port: int, ocpp_id: str) -> Charger:
        secret = base64.b64encode(f"{ocpp_id}:{CHARGER_PASSWORD}".encode()).decode()
        socket = await connect(
            f"ws://127.0.0.1:{port}/{ocpp_id}",
            subprotocols=[Subprotocol("ocpp1.6")],
            additional_headers={"Authorization": f"Basic {secret}"},
            compression=None,
            proxy=None,
            ping_interval=None,
        )
        charger = cls(socket)
        boot = await charger.call("BootNotification", {"chargePointVendor": "Voltway", "chargePointModel": "LoopBench"})
        if boot.get("status") != "Accepted":
            msg = f"boot not accepted: {boot}"
            raise RuntimeError(msg)
        return charger

    async def call(self, action: str, payload: dict[str, Any]) -> Any:
        message_id = str(next(self.ids))
        await self.socket.send(json.dumps([2, message_id, action, payload]))
        while True:
            reply = json.loads(await self.socket.recv())
            if reply[0] in (3, 4) and reply[1] == message_id:
                if reply[0] == 4:
                    msg = f"{action} refused: {reply[2:]}"
                    raise RuntimeError(msg)
                return reply[2]
            if reply[0] == 2:  # a command from the central system: accept it
                await self.socket.send(json.dumps([3, reply[1], {"status": "Accepted"}]))


async def timed(call: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await call()
    return (time.perf_counter() - started) * 1000


async def measure(
    base: str, chargers: list[Charger], heavy: Callable[[httpx.AsyncClient], Awaitable[Any]] | None, seconds: float
) -> dict[str, list[float]]:
    """Round trips of /health and Heartbeat (ms) while `heavy` runs back to back, and the heavy request's own."""
    result: dict[str, list[float]] = {"health": [], "heartbeat": [], "heavy": []}
    stop = time.monotonic() + seconds
    async with (
        httpx.AsyncClient(base_url=base, timeout=60) as probe,
        httpx.AsyncClient(base_url=base, timeout=60) as load,
    ):

        async def load_loop() -> None:
            while heavy is not None and time.monotonic() < stop:
                result["heavy"].append(await timed(lambda: heavy(load)))

        async def probe_loop() -> None:
            turns = itertools.cycle(chargers)
            while time.monotonic() < stop:
                charger = next(turns)
                result["health"].append(await timed(lambda: probe.get("/health")))
                result["heartbeat"].append(await timed(partial(charger.call, "Heartbeat", {})))
                await asyncio.sleep(PROBE_INTERVAL_S)

        await asyncio.gather(load_loop(), probe_loop())
    return result


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else float("nan")


async def scenarios(base: str) -> dict[str, Callable[[httpx.AsyncClient], Awaitable[Any]] | None]:
    """The heaviest valid request of each public endpoint, found against the served catalogue."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        near = (await client.get("/v1/stations", params={"lat": 40.75, "lon": -73.99, "limit": 1})).json()["items"]
        station = near[0]["id"]
        quote = (await client.get(f"/v1/stations/{station}")).json()["evses"][0]["uid"]
        email, password = "loop-bench@example.com", "loop bench password"
        await client.post("/v1/auth/register", json={"email": email, "password": password, "name": "Bench"})
        tokens = (await client.post("/v1/auth/login", json={"email": email, "password": password})).json()
    signed_in = {"Authorization": f"Bearer {tokens['accessToken']}"}
    world = {"bbox": "-180,-90,180,90"}
    north_east = {"bbox": "-79,37,-69,47"}  # the largest viewport (10 degrees) over the densest part of the catalogue
    return {
        "idle (baseline)": None,
        "clusters, world, zoom 0": lambda c: c.get("/v1/stations/clusters", params={**world, "zoom": 0}),
        "clusters, world, zoom 5 (most clusters)": lambda c: c.get(
            "/v1/stations/clusters", params={**world, "zoom": 5}
        ),
        "clusters, 10 x 10 degrees, zoom 8": lambda c: c.get("/v1/stations/clusters", params={**north_east, "zoom": 8}),
        "viewport 10 degrees, no match (scans all)": lambda c: c.get(
            "/v1/stations", params={**north_east, "maxPricePerKwh": "0", "limit": 100}
        ),
        "viewport 10 degrees, connector and power no station has (scans all)": lambda c: c.get(
            "/v1/stations", params={**north_east, "standards": "CHADEMO,TESLA_S", "minPowerKw": "350", "limit": 100}
        ),
        "nearby 100 km, no match (scans all)": lambda c: c.get(
            "/v1/stations", params={"lat": 40.75, "lon": -73.99, "radius": 100_000, "availableNow": "true"}
        ),
        "nearby 100 km at the pole": lambda c: c.get("/v1/stations", params={"lat": 90, "lon": 0, "radius": 100_000}),
        "station detail": lambda c: c.get(f"/v1/stations/{station}", params={"lat": 40.7, "lon": -74.0}),
        "quote": lambda c: c.get("/v1/sessions/quote", params={"evseUid": quote}),
        "sessions CSV export": lambda c: c.get("/v1/sessions/export.csv", headers=signed_in),
        "login, wrong password": lambda c: c.post("/v1/auth/login", json={"email": email, "password": "wrong one!"}),
    }


async def run(url: str, seconds: float) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="voltway-bench-loop-"))
    port, ocpp_port = free_port(), free_port()
    server = serve_pinned(
        url, workdir, port, stderr=(workdir / "server.log").open("wb"), VOLTWAY_OCPP_PORT=str(ocpp_port)
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        async with httpx.AsyncClient(timeout=1) as client:
            while True:
                try:
                    if (await client.get(f"{base}/ready")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the server did not become ready")
                await asyncio.sleep(0.2)
        chargers = [await Charger.connect(ocpp_port, ocpp_id) for ocpp_id in CHARGERS]
        plan = await scenarios(base)
        rows: list[tuple[str, dict[str, list[float]]]] = []
        for name, heavy in plan.items():
            print(f"measuring: {name}", flush=True)
            rows.append((name, await measure(base, chargers, heavy, seconds)))
        for charger in chargers:
            await charger.socket.close()
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    report(rows)


def report(rows: list[tuple[str, dict[str, list[float]]]]) -> None:
    """Round-trip percentiles per request kind, and how much the request adds to the idle p90 of the same run.

    A shared machine adds stalls of its own (visible in the idle row), so the verdict compares p90s: a request
    that held the loop would push most probes up, not a few.
    """
    idle = rows[0][1]
    idle_health, idle_beat = percentile(idle["health"], 0.9), percentile(idle["heartbeat"], 0.9)
    print(f"\nidle p90 round trips: /health {idle_health:.2f} ms, Heartbeat {idle_beat:.2f} ms (the baseline)")
    print(f"target: a request adds less than {TARGET_LAG_MS:.0f} ms to either p90 while it runs back to back\n")
    print(
        "| request running back to back | request p50 | /health p50 / p90 / p99 | Heartbeat p50 / p90 / p99 "
        "| added to p90 | ok |"
    )
    print("|---|---|---|---|---|---|")
    for name, data in rows:
        health = [percentile(data["health"], f) for f in (0.5, 0.9, 0.99)]
        beat = [percentile(data["heartbeat"], f) for f in (0.5, 0.9, 0.99)]
        added = max(health[1] - idle_health, beat[1] - idle_beat, 0.0)
        request = f"{statistics.median(data['heavy']):.1f} ms" if data["heavy"] else "-"
        print(
            f"| {name} | {request} | {' / '.join(f'{v:.1f}' for v in health)} ms "
            f"| {' / '.join(f'{v:.1f}' for v in beat)} ms | {added:.1f} ms "
            f"| {'yes' if added < TARGET_LAG_MS else 'NO'} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per request kind (default 5)")
    args = parser.parse_args()
    if not SHARED.is_dir():
        print(f"skipped: {SHARED} is absent (the AFDC station files come from ../shared/data)")
        return
    os.sched_setaffinity(0, {1})
    database = Path(tempfile.mkdtemp(prefix="voltway-bench-loop-db-")) / "voltway.db"
    url = f"sqlite+aiosqlite:///{database}"
    started = time.perf_counter()
    asyncio.run(fill(url))
    asyncio.run(provision(url))
    print(f"imported the AFDC stations in {time.perf_counter() - started:.1f} s ({datetime.now(UTC):%Y-%m-%d})")
    asyncio.run(run(url, args.seconds))


if __name__ == "__main__":
    main()
