"""EVSE status pushes to roaming partners: the time from a charger's StatusNotification to each of 10 partners'
receipt of the OCPI PATCH (target: all 10 within 1 s).

The server is the product as deployed: ``python -m api serve`` in its own process, OCPP bridge inside, on a
fresh SQLite database (a temp dir) with ``--chargers`` chargers of ours (NL/VWY). Ten partners are registered in
that database (status registered, token B stored encrypted, a locations RECEIVER endpoint each) and each
endpoint is a fake OCPI receiver in this process: a real HTTP server on port 0 that records the arrival time of
every request (``tests/ocpi_push_receiver.py``). The chargers are raw OCPP 1.6J clients in this process
(``bench_session_live.Charger``): they boot and report Available (not measured), then the benchmark sends
``--changes`` StatusNotifications, round-robin over the chargers, ``--rate`` per second, each alternating its
charger between Available and Unavailable (AVAILABLE and INOPERATIVE in OCPI, so every one is a change).

Latency = a receiver's arrival time of the PATCH for that EVSE and status minus ``time.perf_counter()`` taken
just before the StatusNotification frame was written; both clocks are this process's. Reported: p50/p99/max
over every (change, partner) pair, the worst "all 10 partners" time per change, and lost pushes.

With ``--postgres URL`` the server runs on a throwaway PostgreSQL database on that server instead of SQLite.

Usage: .venv/bin/python bench/bench_ocpi_push.py [--partners 10] [--chargers 20] [--changes 200] [--rate 10]
       [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.db.engine import create_engine, create_session_factory
from api.db.models import OcpiPartner
from api.db.types import utc_now
from api.domain.ocpi.token_vault import encrypt_token
from bench.bench_session_live import SECRET_KEY, Charger, Server, percentile, provision
from bench.postgres_database import create_database, drop_database
from tests.ocpi_push_receiver import FakeOcpiReceiver, Pushed
from tests.support import make_settings

TARGET_SECONDS = 1.0
STATUSES = (("Unavailable", "INOPERATIVE"), ("Available", "AVAILABLE"))


async def register_partners(url: str, receivers: list[FakeOcpiReceiver]) -> None:
    """One registered eMSP per receiver, its locations RECEIVER endpoint on that receiver."""
    settings = make_settings(database_url=url, secret_key=SECRET_KEY)
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            for index, receiver in enumerate(receivers):
                now = utc_now()
                session.add(
                    OcpiPartner(
                        id=uuid.uuid4(),
                        country_code="DE",
                        party_id=f"P{index:02d}",
                        role="EMSP",
                        name=f"Bench partner {index}",
                        status="registered",
                        token_b_encrypted=encrypt_token(settings, secrets.token_urlsafe(24)),
                        version="2.2.1",
                        endpoints=[{"identifier": "locations", "role": "RECEIVER", "url": f"{receiver.url}/locations"}],
                        registered_by="partner",
                        registered_at=now,
                        created_at=now,
                        updated_at=now,
                    )
                )
    finally:
        await engine.dispose()


def arrivals(receiver: FakeOcpiReceiver, uid: str) -> list[Pushed]:
    return [r for r in receiver.requests if r.method == "PATCH" and r.path.endswith(f"/{uid}")]


async def run(partners: int, chargers: int, changes: int, rate: float, postgres: str | None) -> int:
    receivers = [await FakeOcpiReceiver().start() for _ in range(partners)]
    url = f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='voltway-ocpi-push-')}/bench.db"
    if postgres is not None:
        url = await create_database(postgres, "voltway_ocpi_push_bench")
    try:
        return await _measure(url, receivers, chargers, changes, rate)
    finally:
        if postgres is not None:
            await drop_database(url)


async def _measure(url: str, receivers: list[FakeOcpiReceiver], chargers: int, changes: int, rate: float) -> int:
    partners = len(receivers)
    with tempfile.TemporaryDirectory(prefix="voltway-ocpi-push-") as tmp:
        uids = await provision(url, chargers)
        await register_partners(url, receivers)
        server = Server(url, Path(tmp), pin=False, profile=None)
        fleet: list[Charger] = []
        try:
            await server.ready()
            ocpp_url = f"ws://127.0.0.1:{server.ocpp_port}"
            for ocpp_id, uid in sorted(uids.items()):
                charger = Charger(ocpp_id, uid)
                await charger.connect(ocpp_url)  # boots and reports Available: pushed, not measured
                fleet.append(charger)
            for receiver in receivers:
                await receiver.wait_for(lambda got: len({r.path for r in got}) >= chargers, within=30)
                receiver.requests.clear()

            sent: dict[str, list[tuple[float, str]]] = {c.evse_uid: [] for c in fleet}
            gap = 1.0 / rate
            started = time.perf_counter()
            for n in range(changes):
                charger = fleet[n % len(fleet)]
                ocpp_status, ocpi_status = STATUSES[(n // len(fleet)) % 2]
                delay = started + n * gap - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)  # pacing of the load, not a wait for an outcome
                sent[charger.evse_uid].append((time.perf_counter(), ocpi_status))
                await charger.status(ocpp_status)

            def complete(receiver: FakeOcpiReceiver) -> bool:
                return all(len(arrivals(receiver, uid)) >= len(items) for uid, items in sent.items())

            lost_wait = time.perf_counter()
            for receiver in receivers:
                with contextlib.suppress(TimeoutError):  # what never came counts as lost
                    await receiver.wait_for(lambda _got, r=receiver: complete(r), within=30)  # type: ignore[misc]
            drained = time.perf_counter() - lost_wait
        finally:
            for charger in fleet:
                if charger.socket is not None:
                    await charger.socket.close()
            server.stop()
            for receiver in receivers:
                await receiver.stop()

    latencies: list[float] = []
    worst_per_change: dict[tuple[str, int], float] = {}
    lost = 0
    for receiver in receivers:
        for uid, items in sent.items():
            got = arrivals(receiver, uid)
            for index, (at, status) in enumerate(items):
                if index >= len(got) or got[index].json()["status"] != status:
                    lost += 1
                    continue
                latency = got[index].arrived_at - at
                latencies.append(latency)
                key = (uid, index)
                worst_per_change[key] = max(worst_per_change.get(key, 0.0), latency)
    ordered = sorted(latencies)
    all_ten = sorted(worst_per_change.values())
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"partners {partners}, chargers {chargers}, status changes {changes} at {rate:g}/s ({database})")
    print(
        f"StatusNotification -> partner PATCH: p50 {percentile(ordered, 0.5) * 1000:.1f} ms, "
        f"p99 {percentile(ordered, 0.99) * 1000:.1f} ms, max {(ordered[-1] if ordered else 0) * 1000:.1f} ms "
        f"over {len(ordered)} pushes"
    )
    print(
        f"all {partners} partners reached: p50 {percentile(all_ten, 0.5) * 1000:.1f} ms, "
        f"p99 {percentile(all_ten, 0.99) * 1000:.1f} ms, max {(all_ten[-1] if all_ten else 0) * 1000:.1f} ms; "
        f"lost {lost}; drained {drained:.2f} s after the last change"
    )
    within = bool(all_ten) and all_ten[-1] <= TARGET_SECONDS and lost == 0
    print(
        f"target: every change at all {partners} partners within {TARGET_SECONDS:g} s: {'met' if within else 'MISSED'}"
    )
    return 0 if within else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--partners", type=int, default=10)
    parser.add_argument("--chargers", type=int, default=20)
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--rate", type=float, default=10.0, help="status changes per second, over all chargers")
    parser.add_argument("--postgres", metavar="URL", help="run on a throwaway database on this PostgreSQL server")
    args = parser.parse_args()
    return asyncio.run(run(args.partners, args.chargers, args.changes, args.rate, args.postgres))


if __name__ == "__main__":
    raise SystemExit(main())
