"""Alert evaluation for a network of 20,000 connected chargers: condition reports (connector faults and their
recovery, chargers going offline and coming back) flow into the alert engine, each one committed with its alert,
history, outbox webhook and mail before it counts as done.

Measured on SQLite and on PostgreSQL (a database of its own, dropped afterwards), in one process:
- throughput: reports/s with 32 reporters in a closed loop (each reports again as soon as the last committed);
- event-to-alert latency p50/p99 at an offered rate (open loop: each report is due at its own time and its latency
  runs from then until its alert is committed; target p99 < 5 s);
- a storm: a fault on every 10th charger at once (2,000 reports), time to absorb it and its p99.

The chargers are written with the OCPP benchmark's bulk provisioning (a location, station, EVSE and connector
each); every alert's site has one admin to mail. Rules keep their defaults (raise at once, clear after 300 s),
so a recovery within the run leaves the alert open but cleared, as it is in production.

Usage: .venv/bin/python bench/bench_alerts.py [--chargers N] [--rate R] [--seconds S] [--sqlite-only]
       [--postgres URL]
About 2-3 minutes with the defaults on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from api.db.engine import create_engine, create_session_factory
from api.db.models import User
from api.db.models.operation_alerts import OperationAlert
from api.deliveries.targets import OPERATIONS_WEBHOOK, Target, Targets
from api.deliveries.worker import DeliveryWorker
from api.domain.operations.alerts.engine import AlertEngine
from api.domain.operations.alerts.notices import Notices
from api.domain.operations.alerts.rulebook import LiveRuleBook
from api.domain.operations.alerts.tickets import AlertTickets
from api.domain.operations.alerts.timing import parse_timing
from api.domain.operations.conditions import ConditionReport
from api.domain.support.sla import build_policy
from api.mail.outbox import MailOutbox
from bench.ocpp_database import provision, sqlite_url
from bench.ocpp_load import charger_id
from bench.postgres_database import database_if_reachable, drop_database

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
REPORTERS = 32
TARGET_P99_SECONDS = 5.0


def pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round((len(ordered) - 1) * share))] if ordered else float("nan")


class Traffic:
    """What 20,000 chargers report: a connector faults (about half the reports), a faulted connector recovers, a
    charger drops offline, an offline charger comes back. Each charger's state is tracked so clears follow raises."""

    def __init__(self, chargers: int, seed: int = 7) -> None:
        self.chargers = chargers
        self.random = random.Random(seed)
        self.faulted: set[int] = set()
        self.offline: set[int] = set()

    def next(self) -> ConditionReport:
        index = self.random.randint(1, self.chargers)
        now = datetime.now(UTC)
        ident = charger_id(index)
        roll = self.random.random()
        if roll < 0.5:
            self.faulted.add(index)
            return ConditionReport("connector_faulted", ident, 1, True, now, {"errorCode": "GroundFailure"})
        if roll < 0.75 and self.faulted:
            index = self.faulted.pop()
            return ConditionReport("connector_faulted", charger_id(index), 1, False, now, {})
        if roll < 0.9:
            self.offline.add(index)
            return ConditionReport("charger_offline", ident, None, True, now, {"lastHeard": now.isoformat()})
        if self.offline:
            index = self.offline.pop()
            return ConditionReport("charger_offline", charger_id(index), None, False, now, {})
        return ConditionReport("connector_faulted", ident, 1, True, now, {"errorCode": "OverVoltage"})


async def closed_loop(report: Callable[[ConditionReport], Awaitable[None]], traffic: Traffic, seconds: float) -> float:
    done = 0
    deadline = time.perf_counter() + seconds

    async def reporter() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await report(traffic.next())
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(reporter() for _ in range(REPORTERS)))
    return done / (time.perf_counter() - started)


async def open_loop(
    report: Callable[[ConditionReport], Awaitable[None]], traffic: Traffic, rate: float, count: int
) -> list[float]:
    """`count` reports, the i-th due at start + i / rate; each latency from its due time to its commit."""
    latencies: list[float] = []
    start = time.perf_counter()

    async def one(due: float) -> None:
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await report(traffic.next())
        latencies.append(time.perf_counter() - due)

    await asyncio.gather(*(one(start + i / rate) for i in range(count)))
    return latencies


async def measure(url: str, label: str, args: argparse.Namespace) -> None:
    print(f"\n== {label}: provisioning {args.chargers} chargers ...", flush=True)
    took = await provision(url, args.chargers)
    print(f"   provisioned in {took:.1f} s")
    engine = create_engine(url)
    try:
        factory = create_session_factory(engine)
        async with factory() as session:
            session.add(User(id=uuid.uuid4(), email="ops-admin@example.com", name="Ops", role="admin"))
            await session.commit()
        targets = Targets()
        targets.register(Target(OPERATIONS_WEBHOOK, "https://ops.example.com/hook", "bench operations secret"))
        deliveries = DeliveryWorker(factory, targets, max_attempts=3, backoff_seconds=10, backoff_cap_seconds=60)
        rules = LiveRuleBook(factory)
        await rules.refresh()
        alerts = AlertEngine(
            factory,
            rules=rules,
            notices=Notices(deliveries, MailOutbox("", "alerts@example.com"), base_url="https://ops.example.com"),
            tickets=AlertTickets(build_policy("", "", "UTC")),
            feed=None,
            timing=parse_timing("", "08:00", "UTC"),
        )
        traffic = Traffic(args.chargers)
        await closed_loop(alerts.report, traffic, 3.0)  # warm-up: pools, statement caches
        throughput = await closed_loop(alerts.report, traffic, args.seconds)
        print(f"   throughput: {throughput:,.0f} reports/s ({REPORTERS} reporters, closed loop, {args.seconds:.0f} s)")
        count = int(args.rate * args.seconds)
        latencies = await open_loop(alerts.report, traffic, args.rate, count)
        p50, p99 = pct(latencies, 0.5), pct(latencies, 0.99)
        verdict = "ok" if p99 < TARGET_P99_SECONDS else "ABOVE TARGET"
        print(
            f"   event-to-alert at {args.rate:,.0f} reports/s offered ({count} reports): "
            f"p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms [{verdict}]"
        )
        storm = [
            ConditionReport(
                "connector_faulted", charger_id(i), 2, True, datetime.now(UTC), {"errorCode": "PowerMeterFailure"}
            )
            for i in range(1, args.chargers + 1, 10)
        ]
        storm_latencies: list[float] = []

        async def storm_one(condition: ConditionReport, started: float) -> None:
            await alerts.report(condition)  # every charger's own task reports at once, as the OCPP handlers do
            storm_latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(storm_one(c, started) for c in storm))
        absorbed = time.perf_counter() - started
        print(
            f"   storm: {len(storm):,} faults at once absorbed in {absorbed:.2f} s "
            f"(p50 {statistics.median(storm_latencies):.2f} s, p99 {pct(storm_latencies, 0.99):.2f} s)"
        )
        async with factory() as session:
            opened = await session.scalar(
                select(func.count()).select_from(OperationAlert).where(OperationAlert.state == "open")
            )
        print(f"   alerts open at the end: {opened:,}")
        await alerts.stop()
    finally:
        await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chargers", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=50.0, help="offered reports/s for the latency round")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    args = parser.parse_args()
    print(f"alert engine: {args.chargers:,} chargers, rate {args.rate:,.0f}/s, {args.seconds:.0f} s rounds")
    await measure(sqlite_url(), "SQLite", args)
    if args.sqlite_only:
        return
    url = await database_if_reachable(args.postgres, "voltway_bench_alerts")
    if url is None:
        return
    try:
        await measure(url, "PostgreSQL", args)
    finally:
        await drop_database(url)


if __name__ == "__main__":
    asyncio.run(main())
