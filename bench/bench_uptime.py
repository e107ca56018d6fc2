"""Uptime of a large network over a year, on PostgreSQL: the report must answer in under a second.

Generates 5,000 chargers with two ports each (10,000 ports) at 1,250 locations, and a year of outages: about
two per port per month (240,000 intervals; a tenth of them maintenance; durations from minutes to a day; some
still open), plus port, charger and location exclusions. Rolls the days up (`api/domain/uptime/rollup.py`, as the
outage sweep does; timed, a one-off), then times, median of `--rounds` runs each: the year at network, location,
charger and port level, and the NEVI report (twelve months plus the year), and beside them the same year per port
and the NEVI report walking the whole outage log (no roll-up), as the baseline.

Usage: python bench/bench_uptime.py [--postgres URL] [--chargers N] [--rounds R] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, text

from api.db.engine import create_engine, create_session_factory
from api.db.migrate import upgrade
from api.db.models import ChargingStation, Evse, Location
from api.domain.uptime.calculation import Period, figures
from api.domain.uptime.report import Selection, nevi_report
from api.domain.uptime.rollup import roll
from bench.postgres_database import create_database, drop_database

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
PORTS_PER_CHARGER = 2
CHARGERS_PER_LOCATION = 4
OUTAGES_PER_PORT_MONTH = 2.0


class _Everything:
    """The admin's scope, for the bench (no operator filter)."""

    everything = True

    def where(self, column: Any) -> Any:
        return text("1 = 1")


async def generate(url: str, chargers: int, now: datetime, seed: int = 18) -> int:
    rng = random.Random(seed)
    engine = create_engine(url)
    factory = create_session_factory(engine)
    locations = max(1, chargers // CHARGERS_PER_LOCATION)
    location_ids = [uuid.uuid4() for _ in range(locations)]
    station_ids = [uuid.uuid4() for _ in range(chargers)]
    ports: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]] = []
    async with factory() as session, session.begin():
        await session.execute(
            insert(Location),
            [
                {
                    "id": location_id,
                    "country_code": "US",
                    "party_id": "VWY",
                    "ocpi_id": f"LOC{n}",
                    "source": "bench",
                    "name": f"Site {n}",
                    "address": "1 Main St",
                    "city": "Springfield",
                    "country": "USA",
                    "latitude": 40.0 + n / 10_000,
                    "longitude": -90.0,
                    "time_zone": "America/Chicago",
                    "facilities": [],
                }
                for n, location_id in enumerate(location_ids)
            ],
        )
        await session.execute(
            insert(ChargingStation),
            [
                {
                    "id": station_id,
                    "ocpp_id": f"CP{n:05d}",
                    "location_id": location_ids[n % locations],
                    "connected": True,
                    "last_seen": now,
                }
                for n, station_id in enumerate(station_ids)
            ],
        )
        evses = []
        for n, station_id in enumerate(station_ids):
            for number in range(1, PORTS_PER_CHARGER + 1):
                evse_id = uuid.uuid4()
                location_id = location_ids[n % locations]
                ports.append((evse_id, station_id, location_id))
                evses.append(
                    {
                        "id": evse_id,
                        "location_id": location_id,
                        "uid": f"CP{n:05d}-{number}",
                        "status": "AVAILABLE",
                        "status_source": "live",
                        "charging_station_id": station_id,
                        "ocpp_evse_id": number,
                        "capabilities": [],
                    }
                )
        for start in range(0, len(evses), 5000):
            await session.execute(insert(Evse), evses[start : start + 5000])
    year_start = now - timedelta(days=366)
    records: list[tuple[Any, ...]] = []
    causes = ["offline"] * 5 + ["fault"] * 3 + ["unavailable", "maintenance"]
    for evse_id, station_id, location_id in ports:
        moment = year_start
        while True:
            moment += timedelta(days=rng.expovariate(OUTAGES_PER_PORT_MONTH / 30.4))
            if moment >= now:
                break
            minutes = min(24 * 60.0, rng.lognormvariate(3.2, 1.2))  # median about 25 minutes
            end: datetime | None = moment + timedelta(minutes=minutes)
            if end is not None and end >= now:
                end = None
            cause = rng.choice(causes)
            records.append(
                (
                    uuid.uuid4(),
                    evse_id,
                    station_id,
                    location_id,
                    cause,
                    "GroundFailure" if cause == "fault" else None,
                    None,
                    moment,
                    end,
                )
            )
            if end is None:
                break
            moment = end
    exclusions: list[tuple[Any, ...]] = []
    for _ in range(500):
        evse_id, station_id, location_id = rng.choice(ports)
        begins = year_start + timedelta(minutes=rng.uniform(0, 365 * 24 * 60))
        span = timedelta(hours=rng.uniform(1, 12))
        target = rng.choice(["port", "charger", "location"])
        exclusions.append(
            (
                uuid.uuid4(),
                evse_id if target == "port" else None,
                station_id if target == "charger" else None,
                location_id if target == "location" else None,
                begins,
                begins + span,
                "grid_outage",
                "bench",
                None,
                begins,
                None,
                None,
                None,
            )
        )
    raw = await engine.raw_connection()
    try:
        connection: Any = raw.driver_connection
        await connection.copy_records_to_table(
            "port_outages",
            records=records,
            columns=[
                "id",
                "evse_id",
                "charging_station_id",
                "location_id",
                "cause",
                "error_code",
                "ocpp_status",
                "started_at",
                "ended_at",
            ],
        )
        await connection.copy_records_to_table(
            "uptime_exclusions",
            records=exclusions,
            columns=[
                "id",
                "evse_id",
                "charging_station_id",
                "location_id",
                "starts_at",
                "ends_at",
                "category",
                "reason",
                "created_by",
                "created_at",
                "withdrawn_at",
                "withdrawn_by",
                "withdrawal_reason",
            ],
        )
        await connection.execute("VACUUM ANALYZE")  # as autovacuum would: index-only scans need the visibility map
    finally:
        raw.close()
    await engine.dispose()
    return len(records)


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a PostgreSQL backend has used: on a shared machine, wall time says little."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def timed(session: Any, label: str, rounds: int, action: Any) -> tuple[float, float]:
    """Median wall and server CPU seconds of `action(session)` over `rounds` runs."""
    pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    walls, cpus = [], []
    result = ""
    for _ in range(rounds):
        cpu = _cpu_seconds(pid)
        began = time.perf_counter()
        result = await action(session)
        walls.append(time.perf_counter() - began)
        cpus.append(_cpu_seconds(pid) - cpu)
        await session.rollback()
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    print(
        f"{label:<40} wall {wall * 1000:7.0f} ms (min {min(walls) * 1000:.0f})  server CPU {cpu * 1000:5.0f} ms;  "
        f"{result}"
    )
    return wall, cpu


async def measure(url: str, rounds: int, now: datetime) -> dict[str, tuple[float, float]]:
    engine = create_engine(url)
    factory = create_session_factory(engine)
    selection = Selection(_Everything())  # type: ignore[arg-type]
    year = Period(now - timedelta(days=365), now)
    results: dict[str, tuple[float, float]] = {}
    try:
        async with factory() as session:

            async def baseline(db: Any) -> str:
                # the floor: one plain pass summing every outage's length, no unions, no exclusions
                rows = await db.execute(
                    text(
                        "SELECT evse_id, sum(date_part('epoch', coalesce(ended_at, now()) - started_at)) "
                        "FROM port_outages "
                        "WHERE started_at < now() AND (ended_at IS NULL OR ended_at > now() - interval '365 days') "
                        "GROUP BY evse_id"
                    )
                )
                return f"{len(rows.all())} ports"

            results["baseline"] = await timed(session, "baseline: plain sum per port", rounds, baseline)
            for level in ("network", "location", "charger", "port"):

                async def one(db: Any, level: Any = level) -> str:
                    found = await figures(db, selection.ports(), [year], level, now)
                    return f"{len(found)} items"

                results[level] = await timed(session, f"a year, per {level}", rounds, one)

            async def nevi(db: Any) -> str:
                report = await nevi_report(db, selection, f"{now:%Y-%m}", now)
                return f"year {report.trailing_twelve_months.uptime_percent:.3f} %"

            results["nevi"] = await timed(session, "NEVI report (12 months + the year)", rounds, nevi)

            async def walked(db: Any) -> str:
                found = await figures(db, selection.ports(), [year], "port", now, rolled=False)
                return f"{len(found)} items"

            results["baseline walked"] = await timed(session, "baseline: a year per port, log only", rounds, walked)
    finally:
        await engine.dispose()
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--chargers", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the generated database")
    arguments = parser.parse_args()
    url = await create_database(arguments.postgres, "voltway_bench_uptime")
    now = datetime.now(UTC)
    try:
        engine = create_engine(url)
        await upgrade(engine)
        await engine.dispose()
        began = time.perf_counter()
        count = await generate(url, arguments.chargers, now)
        print(
            f"{arguments.chargers} chargers, {arguments.chargers * PORTS_PER_CHARGER} ports, {count} outages, "
            f"500 exclusions generated in {time.perf_counter() - began:.1f} s"
        )
        began = time.perf_counter()
        engine = create_engine(url)
        rows = await roll(create_session_factory(engine), now)
        async with engine.connect() as connection:  # as autovacuum would after the roll
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("ANALYZE port_uptime_days"))
        await engine.dispose()
        print(f"rolled up: {rows} port-days with outages in {time.perf_counter() - began:.1f} s (once)")
        results = await measure(url, arguments.rounds, now)
        worst = max(wall for name, (wall, _) in results.items() if not name.startswith("baseline"))
        worst_cpu = max(cpu for name, (_, cpu) in results.items() if not name.startswith("baseline"))
        print(
            f"slowest: wall {worst * 1000:.0f} ms, server CPU {worst_cpu * 1000:.0f} ms "
            f"(1 s target; load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
        )
    finally:
        if not arguments.keep:
            await drop_database(url)


if __name__ == "__main__":
    asyncio.run(main())
