"""The operators' network view over a large network: `network_view` (every statement and the grouping) and its JSON
encoding, for an admin (everything) and an operator scoped to a tenth of the sites, on SQLite and PostgreSQL.

The network: N chargers with two EVSEs each at N/4 locations in 10 regions, a third of the EVSEs charging with a
running session. The view answers the totals of all of it and the chargers of its first 100 locations (a page).
Target: under 500 ms for the admin, under 200 ms for an operator.
Recorded 2026-12-06 on 2 cores shared with other work (load average 8-10), median of 5: admin (5,000 chargers,
400 on the page) 345 ms SQLite, 227 ms PostgreSQL; operator (500 chargers) 61 ms SQLite, 128 ms PostgreSQL; JSON
encoding 2-5 ms for 415-488 KiB. Reading every charger of 5,000 at once through ORM rows took 1.5-1.75 s.
Usage: python bench/bench_network_view.py [--chargers N] [--rounds N] [--database sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.db.engine import create_engine, create_session_factory
from api.db.migrate import upgrade
from api.db.models import ChargingSession, ChargingStation, ChargingTransaction, Evse, Location
from api.db.models.organisation import Region
from api.domain.operations.network.queries import NetworkFilters, network_view
from api.domain.operations.scope import SiteScope
from bench.postgres_database import database_if_reachable, drop_database

POSTGRES_URL = os.environ.get("VOLTWAY_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
CHUNK = 2000


async def _insert(session: Any, model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        await session.execute(insert(model), rows[start : start + CHUNK])


async def populate(url: str, chargers: int) -> list[uuid.UUID]:
    """The network; returns the location ids of the first region (an operator's scope)."""
    engine = create_engine(url)
    await upgrade(engine)
    factory = create_session_factory(engine)
    now = datetime.now(UTC)
    regions: list[dict[str, Any]] = [{"id": uuid.uuid4(), "name": f"Region {n}"} for n in range(10)]
    locations: list[dict[str, Any]] = [
        {
            "id": uuid.uuid4(),
            "country_code": "NL",
            "party_id": "VWY",
            "ocpi_id": f"LOC{n:06d}",
            "source": "bench",
            "name": f"Site {n}",
            "address": f"Street {n}",
            "city": f"City {n % 50}",
            "country": "NLD",
            "latitude": 52.0,
            "longitude": 5.0,
            "time_zone": "Europe/Amsterdam",
            "region_id": regions[n % 10]["id"],
        }
        for n in range(max(1, chargers // 4))
    ]
    stations: list[dict[str, Any]] = []
    evses: list[dict[str, Any]] = []
    transactions: list[dict[str, Any]] = []
    sessions: list[dict[str, Any]] = []
    for n in range(chargers):
        location = locations[n % len(locations)]
        station_id = uuid.uuid4()
        stations.append(
            {
                "id": station_id,
                "ocpp_id": f"BENCH-{n:06d}",
                "location_id": location["id"],
                "vendor": "ABB",
                "model": f"Model {n % 7}",
                "firmware_version": "1.2.3",
                "ocpp_version": "1.6",
                "connected": n % 20 != 0,
                "held_by": "bench" if n % 20 else None,
                "last_seen": now,
            }
        )
        for connector in (1, 2):
            evse_id = uuid.uuid4()
            charging = (n + connector) % 3 == 0
            evses.append(
                {
                    "id": evse_id,
                    "location_id": location["id"],
                    "uid": f"BENCH-{n:06d}-{connector}",
                    "emi3_evse_id": f"NL*VWY*E{n:06d}*{connector}",
                    "status": "CHARGING" if charging else "AVAILABLE",
                    "status_source": "live",
                    "charging_station_id": station_id,
                    "ocpp_evse_id": connector,
                }
            )
            if charging:
                transaction_id = uuid.uuid4()
                transactions.append(
                    {
                        "id": transaction_id,
                        "charging_station_id": station_id,
                        "evse_id": evse_id,
                        "connector_id": connector,
                        "ocpp_transaction_id": str(len(transactions)),
                        "id_token": f"TAG-{n:06d}",
                        "started_at": now - timedelta(minutes=20),
                        "energy_wh": 4200.0,
                        "power_w": 11000.0,
                        "status": "active",
                    }
                )
                sessions.append(
                    {
                        "id": uuid.uuid4(),
                        "source": "rfid",
                        "location_id": location["id"],
                        "evse_id": evse_id,
                        "charging_station_id": station_id,
                        "connector_id": connector,
                        "id_token": f"TAG-{n:06d}",
                        "transaction_id": transaction_id,
                        "status": "charging",
                        "started_at": now - timedelta(minutes=20),
                    }
                )
    async with factory() as session:
        await _insert(session, Region, regions)
        await _insert(session, Location, locations)
        await _insert(session, ChargingStation, stations)
        await _insert(session, Evse, evses)
        await _insert(session, ChargingTransaction, transactions)
        await _insert(session, ChargingSession, sessions)
        await session.commit()
    await engine.dispose()
    return [location["id"] for location in locations if location["region_id"] == regions[0]["id"]]


async def measure(url: str, scope: SiteScope, rounds: int) -> tuple[float, float, int, int]:
    """(median ms to build the view, median ms to encode it, chargers in it, JSON bytes)."""
    engine = create_engine(url)
    factory = create_session_factory(engine)
    built, encoded = [], []
    chargers = size = 0
    try:
        for _ in range(rounds):
            async with factory() as session:
                started = time.perf_counter()
                view = await network_view(session, scope, NetworkFilters(), datetime.now(UTC))
                built.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            body = msgspec.json.encode(view)
            encoded.append((time.perf_counter() - started) * 1000)
            chargers, size = view.totals.chargers, len(body)
    finally:
        await engine.dispose()
    return statistics.median(built), statistics.median(encoded), chargers, size


async def run(chargers: int, rounds: int, database: str) -> None:
    targets: list[tuple[str, str, str | None]] = []
    folder = tempfile.TemporaryDirectory()
    if database in ("sqlite", "both"):
        targets.append(("SQLite", f"sqlite+aiosqlite:///{folder.name}/bench.db", None))
    if database in ("postgresql", "both"):
        url = await database_if_reachable(POSTGRES_URL, "voltway_bench_network")
        if url is not None:
            targets.append(("PostgreSQL", url, url))
    print(f"{chargers} chargers, {chargers * 2} EVSEs, median of {rounds} rounds")
    try:
        for name, url, _ in targets:
            scoped = await populate(url, chargers)
            for who, scope in (
                ("admin", SiteScope(everything=True, location_ids=frozenset())),
                ("operator", SiteScope(everything=False, location_ids=frozenset(scoped))),
            ):
                build, encode, shown, size = await measure(url, scope, rounds)
                print(
                    f"{name:<10} {who:<8} {shown:>6} chargers: view {build:7.1f} ms, JSON {encode:5.1f} ms, "
                    f"{size / 1024:7.0f} KiB"
                )
    finally:
        for _, _, dropped in targets:
            if dropped is not None:
                await drop_database(dropped)
        folder.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chargers", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    arguments = parser.parse_args()
    asyncio.run(run(arguments.chargers, arguments.rounds, arguments.database))


if __name__ == "__main__":
    main()
