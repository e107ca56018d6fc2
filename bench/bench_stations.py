"""The driver map at US scale: 50,270 AFDC stations (plus the 4,857 New York ones) on SQLite and PostgreSQL.

Measures, for random points in populated areas (near real stations):
- "nearest 20 within 10 km" at the service level (the catalogue search the endpoint runs), p50/p99, against
  a brute-force haversine scan over all stations in the same run;
- requests/s of `GET /v1/stations` over HTTP with one worker (`voltway serve` pinned to core 0, the load
  generator in its own process on core 1);
- how long a process takes to load the catalogue from each database, and what it costs in memory.

Usage: python bench/bench_stations.py [--postgres URL] [--seconds S] [--queries N]
Needs ../shared/data/afdc next to the repository.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import signal
import socket
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.db.engine import create_engine, create_session_factory
from api.db.migrate import upgrade
from api.domain.stations.catalog import StationCatalog
from api.domain.stations.feeds.afdc import read_afdc_csv
from api.domain.stations.geo import haversine_m
from api.domain.stations.importing import store_feed
from api.domain.stations.prices import TariffBook, TariffPricing
from api.domain.stations.search import Availability, StationFilters, StationQuery
from api.domain.stations.services import StationService
from api.domain.stations.sync import load_into
from api.domain.stations.time_zones import time_zone_at
from bench.http_load import LoadResult, run_load_blocking
from bench.postgres_database import database_if_reachable, drop_database
from bench.served_api import serve_pinned

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "afdc"
BRUTE_FORCE_QUERIES = 200
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def fill(url: str) -> float:
    """Migrate and import both AFDC files; returns seconds taken."""
    engine = create_engine(url)
    started = time.perf_counter()
    try:
        await upgrade(engine)
        factory = create_session_factory(engine)
        now = datetime.now(UTC)
        for name in ("ghhyc_alt_fuel_stations.csv", "jingniz_alt_fuel_stations.csv"):
            text = (SHARED / name).read_text(encoding="utf-8-sig")
            await store_feed(factory, read_afdc_csv(text, name, now=now, time_zone_at=time_zone_at))
    finally:
        await engine.dispose()
    return time.perf_counter() - started


def resident_mib() -> float:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def load_catalogue(url: str) -> tuple[StationCatalog, float, float]:
    """Load a process's catalogue as the server does at start-up; returns it, seconds, and MiB it added."""
    engine = create_engine(url)
    catalog = StationCatalog()
    gc.collect()
    before = resident_mib()
    started = time.perf_counter()
    try:
        async with create_session_factory(engine)() as session:
            await load_into(catalog, session, 0)
    finally:
        await engine.dispose()
    seconds = time.perf_counter() - started
    gc.collect()
    gc.freeze()  # as the server does once the catalogue is loaded
    return catalog, seconds, resident_mib() - before


def service_latencies(catalog: StationCatalog, points: list[tuple[float, float]]) -> tuple[list[float], list[float]]:
    """Per-query seconds for the catalogue search and for a brute-force scan, interleaved."""
    service = StationService(catalog, Availability(timedelta(minutes=10)), TariffPricing(TariffBook()))
    everything = list(catalog.locations.values())
    now = datetime.now(UTC)
    searched: list[float] = []
    brute: list[float] = []
    for index, (lat, lon) in enumerate(points):
        query = StationQuery(centre=(lat, lon), radius_m=10_000.0, box=None, filters=StationFilters(), limit=20)
        started = time.perf_counter()
        page = service.search(query, "en", now)
        searched.append(time.perf_counter() - started)
        if index >= BRUTE_FORCE_QUERIES:  # the baseline is slow; a few hundred queries describe it well
            continue
        started = time.perf_counter()
        hits = sorted(
            (d, loc.sort_key)
            for loc in everything
            if (d := haversine_m(lat, lon, loc.latitude, loc.longitude)) <= 10_000.0
        )[:20]
        brute.append(time.perf_counter() - started)
        assert [str(item.id) for item in page.items] == [key for _, key in hits]
    return searched, brute


def http_rounds(url: str, points: list[tuple[float, float]], seconds: float, rounds: int) -> list[LoadResult]:
    workdir = Path(tempfile.mkdtemp(prefix="voltway-bench-"))
    port = free_port()
    server = serve_pinned(url, workdir, port)
    paths = [f"/v1/stations?lat={lat:.5f}&lon={lon:.5f}&radius=10000&limit=20" for lat, lon in points[:500]]
    results: list[LoadResult] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        check = httpx.get(f"http://127.0.0.1:{port}{paths[0]}", timeout=10).json()
        assert check["items"], "the served map is empty"
        with ProcessPoolExecutor(max_workers=1) as pool:
            for _ in range(rounds):
                future = pool.submit(
                    run_load_blocking, "127.0.0.1", port, paths, connections=32, seconds=seconds, pin_core=1
                )
                results.append(future.result())
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default=os.environ.get("VOLTWAY_TEST_POSTGRES_URL", DEFAULT_POSTGRES))
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each HTTP round")
    parser.add_argument("--rounds", type=int, default=3, help="HTTP rounds per database")
    parser.add_argument("--queries", type=int, default=2000, help="service-level queries per database")
    args = parser.parse_args()
    if not SHARED.is_dir():
        print(f"{SHARED} is missing: this benchmark needs the AFDC reference data")
        return 2

    databases = {"SQLite": f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='voltway-bench-')}/map.db"}
    pg_url = asyncio.run(database_if_reachable(args.postgres, "voltway_bench"))
    if pg_url:
        databases["PostgreSQL"] = pg_url
    rng = random.Random(42)
    summary: list[str] = []
    try:
        for label, url in databases.items():
            imported = asyncio.run(fill(url))
            catalog, load_seconds, mib = asyncio.run(load_catalogue(url))
            locations = list(catalog.locations.values())
            # Random points in populated areas: within a few km of a random real station.
            points = [
                (loc.latitude + rng.uniform(-0.03, 0.03), loc.longitude + rng.uniform(-0.03, 0.03))
                for loc in (rng.choice(locations) for _ in range(args.queries))
            ]
            searched, brute = service_latencies(catalog, points)
            http = http_rounds(url, points, args.seconds, args.rounds)
            middle = sorted(http, key=lambda r: r.per_second)[len(http) // 2]
            p50, p99 = statistics.median(searched) * 1000, percentile(searched, 0.99) * 1000
            target = 2 if label == "SQLite" else 5
            b50, b99 = statistics.median(brute) * 1000, percentile(brute, 0.99) * 1000
            summary += [
                f"{label}: {len(catalog):,} stations; import {imported:.1f} s; catalogue load {load_seconds:.2f} s, "
                f"{mib:.0f} MiB",
                f"  nearest 20 within 10 km (service): p50 {p50:.3f} ms, p99 {p99:.3f} ms "
                f"(target p99 < {target} ms: {'met' if p99 < target else 'MISSED'})",
                f"  brute force over all stations:     p50 {b50:.3f} ms, p99 {b99:.3f} ms "
                f"-> index is {b50 / p50:.0f}x faster at the median",
                f"  GET /v1/stations, one worker: {middle.per_second:,.0f} req/s median of {len(http)} rounds "
                f"(p50 {middle.p50_ms:.1f} ms, p99 {middle.p99_ms:.1f} ms, errors {sum(r.errors for r in http)}; "
                f"target >= 1,500: {'met' if middle.per_second >= 1500 else 'MISSED'})",
            ]
    finally:
        if pg_url:
            asyncio.run(drop_database(pg_url))
    print("\n".join(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
