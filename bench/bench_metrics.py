"""Operators' metrics over a year of a large network: 5,000 chargers and about 10 million sessions on PostgreSQL.

Generates the history straight into a throwaway PostgreSQL database (its own name, dropped at the end) with
`generate_series`: 1,250 locations in six time zones, grouped into regions and business units, 5,000 chargers of
four models with two ports each, and a year of sessions (3 % failed starts, 200,000 drivers, prices in EUR, GBP
or USD by the site's country). The rollups are then built from those sessions in SQL, by the same rules the live
path follows (a session counts on the local day it started; delivering time is the whole session when there are no
meter readings; a driver's first session is the first to end), and each report the console's metrics page asks
for is timed through the report function plus the JSON encoding the API does (or the CSV table): each must answer
under 1 s.
Prints the generation and rollup times, the row counts and p50/p99 per report.

Usage: python bench/bench_metrics.py [--postgres URL] [--sessions N] [--chargers N] [--rounds R] [--keep] [--check]
(`--check`, for small runs: the rollups are built again by `voltway metrics rebuild`'s code and compared.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.db.engine import create_engine, create_session_factory
from api.db.migrate import upgrade
from api.db.types import utc_now
from api.domain.operations.metrics.controllers import CsvTable, csv_table
from api.domain.operations.metrics.reports import MetricsFilter, metrics_report
from api.domain.operations.metrics.rollups import rebuild
from api.domain.operations.scope import SiteScope
from api.domain.uptime.rollup import roll
from bench.postgres_database import create_database, drop_database

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
TARGET_SECONDS = 1.0
ZONES = ("Europe/Amsterdam", "Europe/Berlin", "Europe/London", "Europe/Madrid", "America/New_York", "America/Chicago")
MODELS = ("Fast50", "Ultra150", "AC22", "AC11")
CHARGERS_PER_LOCATION = 4

# The SQL below is built from the constants above and integers; nothing from outside reaches it.
# ruff: noqa: S608

NETWORK_SQL = [
    """
    INSERT INTO locations (id, country_code, party_id, ocpi_id, source, name, address, city, country, latitude,
        longitude, time_zone, facilities, publish, last_updated, revision, fingerprint)
    SELECT gen_random_uuid(), 'NL', 'VWY', 'BENCH-' || n, 'bench', 'Site ' || n, 'Street ' || n, 'City ' || (n % 50),
        'NLD', 52 + (n % 100) / 100.0, 4 + (n % 97) / 100.0, ({zones})[1 + n % {zone_count}], '[]', true, now(), 0, ''
    FROM generate_series(1, {locations}) AS n
    """,
    """
    CREATE TABLE bench_chargers AS
    SELECT n, gen_random_uuid() AS id, l.id AS location_id, l.time_zone, gen_random_uuid() AS evse_id,
        CASE WHEN l.time_zone = 'Europe/London' THEN 'GBP' WHEN l.time_zone LIKE 'America/%' THEN 'USD' ELSE 'EUR' END
            AS currency
    FROM generate_series(0, {chargers} - 1) AS n
    JOIN (SELECT id, time_zone, row_number() OVER (ORDER BY ocpi_id) - 1 AS k FROM locations) AS l
      ON l.k = n / {per_location}
    """,
    """
    INSERT INTO charging_stations (id, ocpp_id, location_id, model, connected, created_at, registration_status)
    SELECT id, 'BENCH-CP-' || n, location_id, ({models})[1 + n % {model_count}], true, now(), 'accepted'
    FROM bench_chargers
    """,
    """
    INSERT INTO evses (id, location_id, uid, status, status_source, status_updated_at, capabilities, last_updated,
        charging_station_id, ocpp_evse_id)
    SELECT CASE WHEN port = 1 THEN c.evse_id ELSE gen_random_uuid() END, c.location_id, 'BENCH-' || c.n || '-' || port,
        'AVAILABLE', 'live', now(), '[]', now(), c.id, port
    FROM bench_chargers AS c CROSS JOIN generate_series(1, 2) AS port
    """,
]

SESSIONS_SQL = """
INSERT INTO charging_sessions (id, source, location_id, evse_id, charging_station_id, connector_id, id_token, status,
    failure_reason, time_zone, currency, payment_provider, payment_status, hold_minor, captured_minor,
    extra_charged_minor, debt_minor, refunded_minor, amount_due, amount_due_minor, cdr, created_at, started_at,
    ended_at, billed_at, updated_at)
SELECT gen_random_uuid(), 'rfid', c.location_id, c.evse_id, c.id, 1, s.token,
    CASE WHEN s.failed THEN 'failed' ELSE 'completed' END,
    CASE WHEN s.failed THEN 'The charger did not start charging within 60 seconds.' END,
    c.time_zone, c.currency, 'none', 'billed_outside', 0, 0, 0, 0, 0,
    CASE WHEN s.failed THEN NULL ELSE (s.cents / 100.0)::text END,
    CASE WHEN s.failed THEN NULL ELSE s.cents END,
    CASE WHEN s.failed THEN NULL ELSE json_build_object('total_energy', s.kwh::text) END,
    s.start_at,
    CASE WHEN s.failed THEN NULL ELSE s.start_at END,
    s.start_at + CASE WHEN s.failed THEN interval '1 minute' ELSE s.minutes * interval '1 minute' END,
    CASE WHEN s.failed THEN NULL ELSE s.start_at + s.minutes * interval '1 minute' END,
    s.start_at + s.minutes * interval '1 minute'
FROM (
    SELECT g,
        g % {chargers} AS charger,
        'D' || (hashint(g) % 200000) AS token,
        random() < 0.03 AS failed,
        {year_start}::timestamptz + random() * interval '365 days' AS start_at,
        15 + (random() * 90)::int AS minutes,
        round((3 + random() * 57)::numeric, 3) AS kwh,
        (300 + random() * 2500)::int AS cents
    FROM generate_series({first}, {last}) AS g
) AS s
JOIN bench_chargers AS c ON c.n = s.charger
"""

# a year of outages, about two per port per month (minutes to a day long; a sixth maintenance), and 300 location
# exclusions of up to a week: what the uptime figures of the report are computed from (after the daily roll-up)
OUTAGES_SQL = [
    """
    INSERT INTO port_outages (id, evse_id, charging_station_id, location_id, cause, started_at, ended_at)
    SELECT gen_random_uuid(), e.id, e.charging_station_id, e.location_id,
        (ARRAY['offline', 'offline', 'fault', 'fault', 'unavailable', 'maintenance'])[1 + (hashint(k) + e.ocpp_evse_id
            + length(e.uid)) % 6],
        o.started_at, o.started_at + (5 + random() * random() * 1440) * interval '1 minute'
    FROM evses AS e CROSS JOIN generate_series(0, 23) AS k
    CROSS JOIN LATERAL (
        SELECT {year_start}::timestamptz + k * interval '365 days' / 24 + random() * interval '14 days'
            AS started_at
    ) AS o
    WHERE e.charging_station_id IS NOT NULL
    ORDER BY o.started_at
    """,
    """
    INSERT INTO uptime_exclusions (id, location_id, starts_at, ends_at, category, reason, created_at)
    SELECT gen_random_uuid(), l.id, x.starts_at, x.starts_at + (1 + random() * 167) * interval '1 hour',
        'grid_outage', 'Utility outage', now()
    FROM (SELECT id, row_number() OVER (ORDER BY ocpi_id) AS k FROM locations) AS l
    CROSS JOIN LATERAL (
        SELECT {year_start}::timestamptz + random() * interval '350 days' + l.k * interval '0 seconds' AS starts_at
    ) AS x
    WHERE l.k <= 300
    """,
]

HASHINT_SQL = """
CREATE OR REPLACE FUNCTION hashint(bigint) RETURNS bigint LANGUAGE sql IMMUTABLE AS
$$ SELECT abs(hashtext($1::text))::bigint $$
"""

# the rollups from the sessions: the day rows, then the month rows from the day rows; written in date order, as
# the live path writes them day after day (a report's days then sit together on disk, as they do in production)
ROLLUP_SQL = [
    """
    CREATE TEMPORARY TABLE bench_firsts AS
    SELECT DISTINCT ON (id_token) id_token, id, ended_at
    FROM charging_sessions WHERE status = 'completed' ORDER BY id_token, ended_at, id
    """,
    """
    INSERT INTO metrics_driver_firsts (driver_hash, session_id, first_at)
    SELECT encode(sha256(convert_to('token:' || id_token, 'UTF8')), 'hex'), id, ended_at FROM bench_firsts
    """,
    """
    INSERT INTO metrics_charger_rollups (grain, period_start, charging_station_id, currency, location_id, sessions,
        failed_starts, energy_wh, duration_seconds, delivering_seconds, revenue_minor, first_time_drivers)
    SELECT 'day', (coalesce(s.started_at, s.created_at) AT TIME ZONE s.time_zone)::date, s.charging_station_id,
        s.currency, min(s.location_id::text)::uuid,
        count(*) FILTER (WHERE s.status = 'completed'),
        count(*) FILTER (WHERE s.status = 'failed'),
        coalesce(sum((s.cdr ->> 'total_energy')::float * 1000) FILTER (WHERE s.status = 'completed'), 0),
        coalesce(sum(extract(epoch FROM s.ended_at - s.started_at)) FILTER (WHERE s.status = 'completed'), 0),
        coalesce(sum(extract(epoch FROM s.ended_at - s.started_at)) FILTER (WHERE s.status = 'completed'), 0),
        coalesce(sum(s.amount_due_minor) FILTER (WHERE s.status = 'completed'), 0),
        count(f.id)
    FROM charging_sessions AS s LEFT JOIN bench_firsts AS f ON f.id = s.id
    WHERE s.status IN ('completed', 'failed')
    GROUP BY 2, 3, 4
    ORDER BY 2, 3, 4
    """,
    """
    INSERT INTO metrics_charger_rollups (grain, period_start, charging_station_id, currency, location_id, sessions,
        failed_starts, energy_wh, duration_seconds, delivering_seconds, revenue_minor, first_time_drivers)
    SELECT 'month', date_trunc('month', period_start)::date, charging_station_id, currency,
        min(location_id::text)::uuid, sum(sessions), sum(failed_starts), sum(energy_wh), sum(duration_seconds),
        sum(delivering_seconds), sum(revenue_minor), sum(first_time_drivers)
    FROM metrics_charger_rollups WHERE grain = 'day' GROUP BY 2, 3, 4
    ORDER BY 2, 3, 4
    """,
    """
    INSERT INTO metrics_charger_hours (grain, period_start, weekday, charging_station_id, location_id, {hours})
    SELECT 'day', local_day, extract(isodow FROM local_day)::int - 1, charging_station_id,
        min(location_id::text)::uuid, {hour_counts}
    FROM (
        SELECT (started_at AT TIME ZONE time_zone)::date AS local_day,
            extract(hour FROM started_at AT TIME ZONE time_zone)::int AS hour, charging_station_id, location_id
        FROM charging_sessions WHERE status = 'completed'
    ) AS s
    GROUP BY 2, 4
    ORDER BY 2, 4
    """,
    """
    INSERT INTO metrics_charger_hours (grain, period_start, weekday, charging_station_id, location_id, {hours})
    SELECT 'month', date_trunc('month', period_start)::date, weekday, charging_station_id,
        min(location_id::text)::uuid, {hour_sums}
    FROM metrics_charger_hours WHERE grain = 'day' GROUP BY 2, 3, 4
    ORDER BY 2, 3, 4
    """,
]

ORGANISATION_SQL = [
    "INSERT INTO regions (id, name, created_at) SELECT gen_random_uuid(), 'Region ' || n, now()"
    " FROM generate_series(1, 4) AS n",
    "INSERT INTO business_units (id, name, created_at) SELECT gen_random_uuid(), 'Unit ' || n, now()"
    " FROM generate_series(1, 3) AS n",
    """
    UPDATE locations AS l SET
        region_id = (SELECT id FROM regions ORDER BY name OFFSET (abs(hashtext(l.ocpi_id)) % 4) LIMIT 1),
        business_unit_id = (SELECT id FROM business_units ORDER BY name OFFSET (abs(hashtext(l.ocpi_id || 'u')) % 3)
            LIMIT 1)
    """,
]


def _sql(template: str, **values: object) -> str:
    hours = ", ".join(f"h{hour:02d}" for hour in range(24))
    hour_counts = ", ".join(f"count(*) FILTER (WHERE hour = {hour})" for hour in range(24))
    hour_sums = ", ".join(f"sum(h{hour:02d})" for hour in range(24))
    zones = "ARRAY[" + ", ".join(f"'{zone}'" for zone in ZONES) + "]"
    models = "ARRAY[" + ", ".join(f"'{model}'" for model in MODELS) + "]"
    return template.format(
        hours=hours,
        hour_counts=hour_counts,
        hour_sums=hour_sums,
        zones=zones,
        zone_count=len(ZONES),
        models=models,
        model_count=len(MODELS),
        **values,
    )


async def _execute(db: AsyncSession, statement: str) -> None:
    await db.execute(text(statement))


async def generate(url: str, sessions: int, chargers: int) -> tuple[float, float]:
    """The network and its year of sessions, then the rollups; returns (generation s, rollup s)."""
    engine = create_engine(url)
    try:
        await upgrade(engine)
        factory = create_session_factory(engine)
        year_start = f"'{(utc_now() - timedelta(days=365)).replace(microsecond=0).isoformat()}'"
        started = time.perf_counter()
        async with factory() as db, db.begin():
            await _execute(db, "SET session_replication_role = replica")  # no FK checks on generated rows
            await _execute(db, HASHINT_SQL)
            for statement in NETWORK_SQL:
                await _execute(
                    db,
                    _sql(
                        statement,
                        locations=-(-chargers // CHARGERS_PER_LOCATION),
                        chargers=chargers,
                        per_location=CHARGERS_PER_LOCATION,
                    ),
                )
            organisation = (await db.execute(text("SELECT to_regclass('regions') IS NOT NULL"))).scalar_one()
            if organisation:
                for statement in ORGANISATION_SQL:
                    await _execute(db, statement)
        batch = 1_000_000
        for first in range(1, sessions + 1, batch):
            last = min(sessions, first + batch - 1)
            async with factory() as db, db.begin():
                await _execute(db, "SET session_replication_role = replica")
                await _execute(db, _sql(SESSIONS_SQL, chargers=chargers, year_start=year_start, first=first, last=last))
            print(f"  sessions {last:,} / {sessions:,} after {time.perf_counter() - started:.0f} s", flush=True)
        generated = time.perf_counter() - started
        started = time.perf_counter()
        async with factory() as db, db.begin():
            await _execute(db, "SET LOCAL work_mem = '256MB'")
            for number, statement in enumerate(ROLLUP_SQL, 1):
                step = time.perf_counter()
                await _execute(db, _sql(statement))
                print(f"  rollup step {number}/{len(ROLLUP_SQL)}: {time.perf_counter() - step:.1f} s", flush=True)
        rolled = time.perf_counter() - started
        started = time.perf_counter()
        async with factory() as db, db.begin():
            await _execute(db, "SET session_replication_role = replica")
            for statement in OUTAGES_SQL:
                await _execute(db, _sql(statement, year_start=year_start))
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("ANALYZE"))
        outages = time.perf_counter() - started
        started = time.perf_counter()
        port_days = await roll(factory, utc_now())
        print(
            f"  a year of outages generated in {outages:.1f} s, rolled up in {time.perf_counter() - started:.1f} s "
            f"({port_days:,} port-days with outages)",
            flush=True,
        )
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("ANALYZE"))
        return generated, rolled
    finally:
        await engine.dispose()


class Report(msgspec.Struct, frozen=True):
    name: str
    picked: MetricsFilter
    scope: SiteScope
    table: CsvTable | None = None  # a CSV table instead of the JSON


async def reports(db: AsyncSession) -> list[Report]:
    """Every report the console's metrics page asks for, with filters picked from the generated network."""
    today = utc_now().date()
    year = MetricsFilter(first=today - timedelta(days=364), last=today)
    everything = SiteScope(everything=True, location_ids=frozenset())
    location = (await db.execute(text("SELECT id FROM locations ORDER BY ocpi_id LIMIT 1"))).scalar_one()
    has_regions = (await db.execute(text("SELECT to_regclass('regions') IS NOT NULL"))).scalar_one()
    found: list[Report] = [
        Report(
            "last 30 days (the page's default)", MetricsFilter(first=today - timedelta(days=29), last=today), everything
        ),
        Report("a year, whole network", year, everything),
        Report(
            "a year, mid-month to mid-month", MetricsFilter(first=_mid(today, 365), last=_mid(today, 0)), everything
        ),
        Report("last full quarter", _quarter(today), everything),
        Report("a year, one location", msgspec.structs.replace(year, location_id=location), everything),
        Report("a year, one model", msgspec.structs.replace(year, model=MODELS[0]), everything),
        Report("a year, chargers CSV", year, everything, table="chargers"),
        Report("a year, heatmap CSV", year, everything, table="heatmap"),
    ]
    if has_regions:
        region = (await db.execute(text("SELECT id FROM regions ORDER BY name LIMIT 1"))).scalar_one()
        unit = (await db.execute(text("SELECT id FROM business_units ORDER BY name LIMIT 1"))).scalar_one()
        sites = (await db.execute(text("SELECT id FROM locations WHERE region_id = :r"), {"r": region})).scalars()
        own = SiteScope(everything=False, location_ids=frozenset(sites))
        found += [
            Report("a year, one region", msgspec.structs.replace(year, region_id=region), everything),
            Report("a year, one business unit", msgspec.structs.replace(year, business_unit_id=unit), everything),
            Report("a year, an operator of one region", year, own),
            Report("last 30 days, an operator of one region", found[0].picked, own),
        ]
    return found


def _mid(today: date, days_back: int) -> date:
    return (today - timedelta(days=days_back)).replace(day=15)


def _quarter(today: date) -> MetricsFilter:
    this_quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    last_day = this_quarter - timedelta(days=1)
    return MetricsFilter(first=date(last_day.year, last_day.month - 2, 1), last=last_day)


async def time_reports(url: str, rounds: int) -> bool:
    engine = create_engine(url)
    factory = create_session_factory(engine)
    ok = True
    try:
        async with factory() as db:
            found = await reports(db)
        print(f"\n{'report':<44} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  rows  ok")
        for report in found:
            timings: list[float] = []
            size = 0
            for _ in range(rounds):
                async with factory() as db:
                    started = time.perf_counter()
                    if report.table:  # as the CSV route does: only what the table holds
                        text_body = await csv_table(db, report.picked, report.scope, utc_now(), report.table)
                        size = text_body.count("\n") - 1
                        del text_body
                    else:
                        answer = await metrics_report(db, report.picked, report.scope, utc_now())
                        size = len(answer.chargers) if msgspec.json.encode(answer) else 0
                    timings.append(time.perf_counter() - started)
            ordered = sorted(timings)
            p50 = statistics.median(ordered)
            p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
            fine = p99 < TARGET_SECONDS
            ok = ok and fine
            print(
                f"{report.name:<44} {p50 * 1000:>8.0f} {p99 * 1000:>8.0f} {ordered[-1] * 1000:>8.0f} {size:>5}"
                f"  {'yes' if fine else 'NO'}",
                flush=True,
            )
    finally:
        await engine.dispose()
    return ok


async def counts(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            for table in (
                "charging_sessions",
                "metrics_charger_rollups",
                "metrics_charger_hours",
                "metrics_driver_firsts",
            ):
                rows = (await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
                print(f"  {table}: {rows:,} rows")
    finally:
        await engine.dispose()


async def _snapshot(url: str) -> dict[str, set[tuple[object, ...]]]:
    """Every rollup row, numbers rounded to whole units, to compare two ways of building them."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            found = {}
            for table in ("metrics_charger_rollups", "metrics_charger_hours", "metrics_driver_firsts"):
                rows = await connection.execute(text(f"SELECT * FROM {table}"))
                found[table] = {
                    tuple(round(value) if isinstance(value, float) else value for value in row) for row in rows
                }
            return found
    finally:
        await engine.dispose()


async def verify(url: str) -> bool:
    """The rollups built in SQL equal the ones the product's own rebuild makes from the same sessions."""
    built = await _snapshot(url)
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as db, db.begin():
            await rebuild(db)
    finally:
        await engine.dispose()
    again = await _snapshot(url)
    same = all(built[table] == again[table] for table in built)
    for table in built:
        print(f"  {table}: {len(built[table]):,} rows, {len(built[table] ^ again[table]):,} differ")
    return same


async def run(base_url: str, sessions: int, chargers: int, rounds: int, keep: bool, check: bool = False) -> int:
    print(f"load average at the start: {', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    url = await create_database(base_url, f"voltway_bench_metrics_{uuid.uuid4().hex[:6]}")
    try:
        generated, rolled = await generate(url, sessions, chargers)
        print(f"generated {sessions:,} sessions on {chargers:,} chargers in {generated:.1f} s")
        print(f"rollups built from them in {rolled:.1f} s")
        await counts(url)
        if check:
            same = await verify(url)
            print("the SQL-built rollups equal the product's rebuild" if same else "ROLLUPS DIFFER FROM THE REBUILD")
            if not same:
                return 1
        ok = await time_reports(url, rounds)
        print(f"load average at the end: {', '.join(f'{v:.1f}' for v in os.getloadavg())}")
        print("every report under 1 s" if ok else "SOME REPORTS TOOK 1 s OR MORE")
        return 0 if ok else 1
    finally:
        if not keep:
            await drop_database(url)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", metavar="URL", default=DEFAULT_POSTGRES, help="the PostgreSQL server to use")
    parser.add_argument("--sessions", type=int, default=10_000_000, help="sessions over the year (default 10 million)")
    parser.add_argument("--chargers", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=7, help="timings per report")
    parser.add_argument("--keep", action="store_true", help="keep the generated database (it is dropped otherwise)")
    parser.add_argument(
        "--check", action="store_true", help="also rebuild the rollups with the product's code and compare (small runs)"
    )
    args = parser.parse_args()
    return asyncio.run(run(args.postgres, args.sessions, args.chargers, args.rounds, args.keep, args.check))


if __name__ == "__main__":
    raise SystemExit(main())
