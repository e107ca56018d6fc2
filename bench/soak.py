"""Network-scale soak test: two ``voltway serve`` processes on one PostgreSQL, thousands of chargers and app users,
for a bounded time on loopback, with a report of what held and what did not.

Set-up: a fresh PostgreSQL database created for the run (dropped afterwards), migrated, with one tariff, the chargers
and a pool of RFID cards; two ``python -m api serve`` processes on it, each with its own API and OCPP port. This
script supervises: it probes both processes, samples their memory and counts deadlocks, while load-generating child
processes (as many as the open-file limit needs, ``--shards``; one asyncio loop each) hold a slice of the chargers'
OCPP 1.6J websockets (half on each serving process) and of the app users' HTTP clients and live WebSockets.

Traffic, for ``--minutes`` (20 by default, so that the bridge's 15-minute full garbage collection falls inside):
- ``--charging-share`` of the chargers charge at any time; each charging charger sends MeterValues every 10-60 s
  (its own period). Sessions are started by app users (``POST /v1/sessions`` -> RemoteStartTransaction ->
  StartTransaction) or at the charger with an RFID card, last a few minutes, stop and start again;
- every app user polls the map (``GET /v1/stations``) every 20-60 s; some start a session on a free charger, hold
  its live WebSocket, read it (``GET /v1/sessions/{id}``, ``/active``) and stop it from the app.

Report (printed, and written as JSON and Markdown next to ``--report``): messages/s, API p50/p99 per endpoint,
live-update p99 (MeterValues sent -> the update on the user's WebSocket), event-loop lag of each process (a
``/health`` probe every second), RSS per process over time and its slope after warm-up, PostgreSQL deadlocks during
the run (``pg_stat_database.deadlocks``), lost or double-counted meter values (what every charger sent against the
samples stored and the energy billed per transaction, after every transaction is stopped), and errors.

Usage: .venv/bin/python bench/soak.py [--minutes 20] [--chargers 20000] [--users 1000] [--charging-share 0.3]
       [--postgres-url URL] [--report bench/results/soak]
A short check: --minutes 2 --chargers 2000 --users 100.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import msgspec
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.db.engine import create_engine, create_session_factory
from api.db.models import ChargingStation, ChargingTransaction, MeterSampleRecord
from api.domain.chargers.provisioning import add_tokens_in_bulk
from bench.bench_session_live import (
    DEFAULT_POSTGRES,
    DRIVER_PASSWORD,
    Charger,
    Live,
    Server,
    Tally,
    add_chargers,
    evse_uids,
    iso_now,
    loadavg,
    migrated,
    percentile,
    watch,
)
from bench.postgres_database import create_database, drop_database

PREFIX = "SOAK-"
CONNECT_CONCURRENCY = 100
PROBE_EVERY = 1.0
SAMPLE_EVERY = 30.0
TARGET_API_P99_MS = 200.0
SETTLE_SECONDS = 10.0


def rfid(n: int) -> str:
    return f"SOAKTAG{n:06d}"


async def provision(url: str, chargers: int) -> dict[str, str]:
    """Migrate, import the tariff, add the chargers and the RFID cards; returns charger id -> EVSE uid."""
    async with migrated(url) as session:
        network = (
            (f"{PREFIX}{n:06d}", (50.0 + (n % 200) / 50, 3.0 + (n // 200) / 40), f"Soak {n}")
            for n in range(1, chargers + 1)
        )
        await add_chargers(session, "soak", network, commit_every=500)
        await add_tokens_in_bulk(session, [rfid(n) for n in range(chargers)])
        return await evse_uids(session, PREFIX)


# ----- chargers ----------------------------------------------------------------------------------------------


@dataclass
class Sent:
    """What a charger sent for one transaction: the truth the database is compared with."""

    charger: str
    start_wh: int
    meter_values: int = 0
    last_wh: int = 0
    stopped: bool = False


class SoakCharger(Charger):
    """The live benchmark's charger, which also stops (from the app or by itself), restarts, and keeps count."""

    def __init__(self, ocpp_id: str, evse_uid: str, run: Soak) -> None:
        super().__init__(ocpp_id, evse_uid)
        self.run = run
        self.current: Sent | None = None
        self.live: Live | None = None
        self.period = random.uniform(10.0, 60.0)
        self.stopped: asyncio.Event = asyncio.Event()

    async def _command(self, message_id: str, action: str, payload: dict[str, Any]) -> None:
        if action == "RemoteStopTransaction":
            assert self.socket is not None
            await self.socket.send(msgspec.json.encode([3, message_id, {"status": "Accepted"}]).decode())
            self.run.spawn(self.stop("Remote"))
            return
        await super()._command(message_id, action, payload)

    def expect_start(self) -> None:
        """A fresh future for the next StartTransaction's outcome, read even when nobody waits for it."""
        self.started = asyncio.get_running_loop().create_future()
        self.started.add_done_callback(lambda done: done.cancelled() or done.exception())

    async def start_here(self, tag: str) -> None:
        """A session started at the charger with an RFID card."""
        self.expect_start()
        await self._start(tag)
        await self.started

    async def _start(self, id_tag: str) -> None:
        self.stopped.clear()
        await super()._start(id_tag)
        if self.transaction_id is not None and self.started.done() and not self.started.exception():
            sent = Sent(self.ocpp_id, self.register_wh, last_wh=self.register_wh)
            self.current = sent
            self.run.transactions[(self.ocpp_id, self.transaction_id)] = sent
            if self.run.running:
                self.run.spawn(self.meter_loop(sent))
            else:  # a start that was on its way when the run ended: settled at once
                self.run.spawn(self.stop("Local"))

    async def meter_loop(self, sent: Sent) -> None:
        await asyncio.sleep(random.uniform(0, self.period))
        while self.current is sent and self.run.running:
            _, moment = await self.send_meter_values()
            self.run.messages += 1
            sent.meter_values += 1
            sent.last_wh = self.register_wh
            if self.live is not None:
                self.live.waiting[self.register_wh - sent.start_wh] = (moment, True)
            await asyncio.sleep(self.period)

    async def stop(self, reason: str) -> None:
        sent, self.current = self.current, None
        if sent is None or self.transaction_id is None:
            return
        await self.call(
            "StopTransaction",
            {
                "transactionId": self.transaction_id,
                "meterStop": self.register_wh,
                "timestamp": iso_now(),
                "reason": reason,
            },
        )
        sent.stopped = True
        sent.last_wh = self.register_wh
        self.transaction_id = None
        await self.status("Available")
        self.stopped.set()

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        self.run.messages += 1
        return await super().call(action, payload)


# ----- the run -----------------------------------------------------------------------------------------------


@dataclass
class Stats:
    api: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    api_errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    lag: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    rss: dict[str, list[tuple[float, float]]] = field(default_factory=lambda: defaultdict(list))
    failures: dict[str, int] = field(default_factory=lambda: defaultdict(int))


@dataclass(frozen=True)
class Endpoint:
    """Where one serving process answers: what a load-generating shard needs of it."""

    base: str
    ocpp_port: int


class Soak:
    """One load-generating shard: its slice of the chargers and of the app users."""

    def __init__(self, args: argparse.Namespace, servers: list[Endpoint], uids: dict[str, str]) -> None:
        self.args = args
        self.servers = servers
        self.chargers = [SoakCharger(ocpp_id, uid, self) for ocpp_id, uid in sorted(uids.items())]
        self.stats = Stats()
        self.tally = Tally()
        self.transactions: dict[tuple[str, int], Sent] = {}
        self.messages = 0
        self.running = True
        self.tasks: set[asyncio.Task[Any]] = set()
        self.clients = [
            httpx.AsyncClient(
                base_url=server.base,
                timeout=60,
                trust_env=False,
                limits=httpx.Limits(max_connections=100, max_keepalive_connections=100),
            )
            for server in servers
        ]
        app_share = min(len(self.chargers) // 4, len(range(args.shard, args.users, args.shards)))
        self.app_pool = self.chargers[:app_share]  # chargers app users start sessions on
        self.free: list[SoakCharger] = list(self.app_pool)
        self.rfid_chargers = self.chargers[app_share:]

    def spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self.tasks.add(task)

        def done(finished: asyncio.Task[Any]) -> None:
            self.tasks.discard(finished)
            if not finished.cancelled() and finished.exception() is not None:
                self.stats.failures[type(finished.exception()).__name__] += 1

        task.add_done_callback(done)

    async def request(self, user: int, method: str, path: str, label: str, **kwargs: Any) -> httpx.Response | None:
        client = self.clients[user % len(self.clients)]
        started = time.perf_counter()
        try:
            response = await client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            self.stats.api_errors[f"{label} {type(exc).__name__}"] += 1
            return None
        self.stats.api[label].append(time.perf_counter() - started)
        if response.status_code >= 400:
            self.stats.api_errors[f"{label} {response.status_code}"] += 1
        return response

    # -- set-up --

    async def connect_chargers(self) -> float:
        started = time.perf_counter()
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

        async def one(index: int, charger: SoakCharger) -> None:
            server = self.servers[index % len(self.servers)]
            async with gate:
                await charger.connect(f"ws://127.0.0.1:{server.ocpp_port}/ocpp")

        await asyncio.gather(*(one(n, c) for n, c in enumerate(self.chargers)))
        return time.perf_counter() - started

    async def sign_in(self) -> list[tuple[str, dict[str, str]]]:
        gate = asyncio.Semaphore(8)

        async def one(n: int) -> tuple[str, dict[str, str]]:
            email = f"soak-user-{n}@example.com"
            async with gate:
                body = {"email": email, "password": DRIVER_PASSWORD, "name": f"User {n}", "locale": "en"}
                await self.request(n, "POST", "/v1/auth/register", "POST /v1/auth/register", json=body)
                login = await self.request(
                    n,
                    "POST",
                    "/v1/auth/login",
                    "POST /v1/auth/login",
                    json={"email": email, "password": DRIVER_PASSWORD},
                )
            assert login is not None
            token = str(login.json()["accessToken"])
            return token, {"Authorization": f"Bearer {token}"}

        users = range(self.args.shard, self.args.users, self.args.shards)  # user numbers are global across shards
        return list(await asyncio.gather(*(one(n) for n in users)))

    # -- behaviour --

    def session_minutes(self) -> float:
        return random.uniform(0.2, 0.6) * float(self.args.minutes)

    async def rfid_charger(self, n: int, charger: SoakCharger, deadline: float) -> None:
        """Charges with a card now and then, so that ``--charging-share`` of all chargers charge at a time."""
        wanted = self.args.charging_share * len(self.chargers) - len(self.app_pool) * 0.5
        busy = min(1.0, max(0.01, wanted / max(1, len(self.rfid_chargers))))
        length = self.session_minutes() * 60
        idle = length * (1 - busy) / busy
        # In the steady state from the start: charging now with probability `busy` (starts spread over a minute),
        # for what is left of a session; else idle for what is left of an idle spell.
        charging_now = random.random() < busy
        await asyncio.sleep(random.uniform(0, 60) if charging_now else random.uniform(0, idle))
        this_time = random.uniform(0, length) if charging_now else length
        while self.running and time.monotonic() < deadline:
            await charger.start_here(rfid(int(charger.ocpp_id[len(PREFIX) :]) - 1))
            await asyncio.sleep(min(this_time, max(0.0, deadline - time.monotonic())))
            this_time = length
            if not self.running:
                return
            await charger.stop("Local")
            await asyncio.sleep(min(idle, max(0.0, deadline - time.monotonic())))

    async def user(self, n: int, token: str, headers: dict[str, str], deadline: float) -> None:
        base_ws = self.servers[n % len(self.servers)].base.replace("http://", "ws://")
        next_poll = time.monotonic() + random.uniform(0, 30)
        while self.running and time.monotonic() < deadline:
            await asyncio.sleep(max(0.0, next_poll - time.monotonic()))
            next_poll = time.monotonic() + random.uniform(20, 60)
            lat, lon = 50.0 + random.random() * 4, 3.0 + random.random() * 2.5
            params = {"lat": f"{lat:.4f}", "lon": f"{lon:.4f}", "radius": "10000", "limit": "50"}
            await self.request(n, "GET", "/v1/stations", "GET /v1/stations", params=params)
            if self.free and random.random() < 0.5:
                await self.charge(n, token, headers, base_ws)

    async def charge(self, n: int, token: str, headers: dict[str, str], base_ws: str) -> None:
        charger = self.free.pop(random.randrange(len(self.free)))
        try:
            charger.expect_start()
            response = await self.request(
                n,
                "POST",
                "/v1/sessions",
                "POST /v1/sessions",
                json={"evseUid": charger.evse_uid},
                headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
            )
            if response is None or response.status_code != 202:
                return
            session_id = str(response.json()["id"])
            async with asyncio.timeout(120):
                await charger.started
            live = Live(charger, session_id, token)
            subscribed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            live.watcher = asyncio.create_task(watch(live, base_ws, self.tally, subscribed))
            await subscribed
            charger.live = live
            end = time.monotonic() + self.session_minutes() * 60
            while self.running and time.monotonic() < end:
                await asyncio.sleep(min(30.0, max(0.0, end - time.monotonic())))
                label = random.choice(["GET /v1/sessions/{id}", "GET /v1/sessions/active"])
                path = f"/v1/sessions/{session_id}" if label.endswith("{id}") else "/v1/sessions/active"
                await self.request(n, "GET", path, label, headers=headers)
            if not self.running:
                return  # stopped by the final sweep from the charger
            await self.request(
                n, "POST", f"/v1/sessions/{session_id}/stop", "POST /v1/sessions/{id}/stop", headers=headers
            )
            async with asyncio.timeout(120):
                await charger.stopped.wait()
            charger.live = None
            if live.socket is not None:
                await live.socket.close()
        finally:
            if charger.current is None:
                self.free.append(charger)

    async def stop_everything(self) -> None:
        """Every charger still charging stops (as at the end of a day): every transaction is then settled. Starts
        still in flight (a remote start on its way) finish first, so a few sweeps are made."""
        self.running = False
        gate = asyncio.Semaphore(200)

        async def one(charger: SoakCharger) -> None:
            async with gate:
                with contextlib.suppress(Exception):
                    await charger.stop("Local")

        quiet = 0
        for _ in range(20):
            charging = [c for c in self.chargers if c.current is not None]
            await asyncio.gather(*(one(c) for c in charging))
            await asyncio.sleep(3.0)
            quiet = 0 if charging else quiet + 1
            if quiet >= 3:  # nothing left for three sweeps: no start is on its way any more
                return

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for charger in self.chargers:
            if charger.live is not None and charger.live.watcher is not None:
                charger.live.watcher.cancel()
        gate = asyncio.Semaphore(500)

        async def shut(charger: SoakCharger) -> None:
            async with gate:
                await charger.close()

        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(60):
                await asyncio.gather(*(shut(c) for c in self.chargers))
        for client in self.clients:
            await client.aclose()


# ----- checks against the database ---------------------------------------------------------------------------


async def deadlocks(url: str) -> int:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn, timeout=10)
    try:
        value = await connection.fetchval(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = $1", make_url(url).database
        )
        return int(value or 0)
    finally:
        await connection.close()


async def meter_check(url: str, transactions: dict[tuple[str, int], Sent]) -> dict[str, Any]:
    """What the chargers sent against what is stored: samples per transaction and the energy each was billed."""
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session:
            counts = dict(
                (await session.execute(
                    select(MeterSampleRecord.transaction_id, func.count()).group_by(MeterSampleRecord.transaction_id)
                )).all()
            )  # fmt: skip
            rows = await session.execute(
                select(
                    ChargingStation.ocpp_id,
                    ChargingTransaction.ocpp_transaction_id,
                    ChargingTransaction.id,
                    ChargingTransaction.status,
                    ChargingTransaction.energy_wh,
                ).join(ChargingStation, ChargingStation.id == ChargingTransaction.charging_station_id)
            )
            stored = {(str(o), str(t)): (i, s, e) for o, t, i, s, e in rows}
    finally:
        await engine.dispose()
    lost = doubled = energy_wrong = missing = not_ended = 0
    not_ended_examples: list[str] = []
    for (charger, transaction_id), sent in transactions.items():
        row = stored.get((charger, str(transaction_id)))
        if row is None:
            missing += 1
            continue
        samples = counts.get(row[0], 0)
        lost += max(0, sent.meter_values - samples)
        doubled += max(0, samples - sent.meter_values)
        if row[1] != "ended":
            not_ended += 1
            if len(not_ended_examples) < 5:
                not_ended_examples.append(f"{charger} {transaction_id}: {row[1]}, stop sent {sent.stopped}")
        if abs(float(row[2] or 0.0) - (sent.last_wh - sent.start_wh)) > 0.5:
            energy_wrong += 1
    return {
        "transactions": len(transactions),
        "meter_values_sent": sum(s.meter_values for s in transactions.values()),
        "lost": lost,
        "double_counted": doubled,
        "transactions_missing": missing,
        "transactions_not_ended": not_ended,
        "not_ended_examples": not_ended_examples,
        "energy_mismatches": energy_wrong,
    }


# ----- report ------------------------------------------------------------------------------------------------


def slope_mib_per_min(series: list[tuple[float, float]], after_minute: float) -> float:
    points = [(m, r) for m, r in series if m >= after_minute]
    if len(points) < 3:
        return 0.0
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread if spread else 0.0


def shard_results(soak: Soak, seconds: float, meters: dict[str, Any]) -> dict[str, Any]:
    """What one shard measured, raw, so that the supervisor can merge the shards before taking percentiles."""
    return {
        "seconds": seconds,
        "chargers": len(soak.chargers),
        "messages": soak.messages,
        "api": dict(soak.stats.api),
        "api_errors": dict(soak.stats.api_errors),
        "live": soak.tally.latencies,
        "meters": meters,
        "call_errors": sum(len(c.errors) for c in soak.chargers),
        "failures": dict(soak.stats.failures),
    }


def merge_shards(shards: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {
        "seconds": max(r["seconds"] for r in shards),
        "chargers": sum(r["chargers"] for r in shards),
        "messages": sum(r["messages"] for r in shards),
        "api": defaultdict(list),
        "api_errors": defaultdict(int),
        "live": [],
        "meters": defaultdict(int),
        "call_errors": sum(r["call_errors"] for r in shards),
        "failures": defaultdict(int),
    }
    for result in shards:
        for label, values in result["api"].items():
            merged["api"][label] += values
        for key in ("api_errors", "failures"):
            for label, count in result[key].items():
                merged[key][label] += count
        merged["live"] += result["live"]
        for key, value in result["meters"].items():
            if isinstance(value, list):
                merged["meters"].setdefault(key, [])
                merged["meters"][key] = merged["meters"][key] + value
            else:
                merged["meters"][key] += value
    return merged


def build_report(
    merged: dict[str, Any],
    lag: dict[str, list[float]],
    rss: dict[str, list[tuple[float, float]]],
    args: argparse.Namespace,
    locks: int,
) -> dict[str, Any]:
    api = {
        label: {
            "requests": len(values),
            "p50_ms": round(percentile(sorted(values), 0.5) * 1000, 1),
            "p99_ms": round(percentile(sorted(values), 0.99) * 1000, 1),
        }
        for label, values in sorted(merged["api"].items())
    }
    lags = {
        name: {
            "p50_ms": round(percentile(sorted(v), 0.5) * 1000, 1),
            "p99_ms": round(percentile(sorted(v), 0.99) * 1000, 1),
            "max_ms": round(max(v, default=0.0) * 1000, 1),
        }
        for name, v in lag.items()
    }
    warm = min(args.warm_up_minutes, args.minutes / 2)
    memory = {
        name: {
            "series": [(round(m, 1), round(r, 1)) for m, r in series],
            "slope_mib_per_min_after_warm_up": round(slope_mib_per_min(series, warm), 2),
        }
        for name, series in rss.items()
    }
    live = sorted(merged["live"])
    meters = dict(merged["meters"])
    worst_api = max((v["p99_ms"] for k, v in api.items() if not k.startswith("POST /v1/auth")), default=0.0)
    process_slopes = [
        float(slope_mib_per_min(series, warm)) for name, series in rss.items() if name.startswith("process")
    ]
    return {
        "settings": {
            "minutes": args.minutes,
            "chargers": merged["chargers"],
            "users": args.users,
            "charging_share": args.charging_share,
            "processes": 2,
            "load_generator_shards": args.shards,
            "load_at_end": loadavg(),
        },
        "messages_per_second": round(merged["messages"] / merged["seconds"], 1),
        "messages": merged["messages"],
        "api": api,
        "live_updates": {
            "count": len(live),
            "p50_ms": round(percentile(live, 0.5) * 1000, 1),
            "p99_ms": round(percentile(live, 0.99) * 1000, 1),
        },
        "event_loop_lag_probe": lags,
        "memory_rss_mib": memory,
        "deadlocks": locks,
        "meter_values": meters,
        "errors": {
            "api": dict(merged["api_errors"]),
            "ocpp_call_errors": merged["call_errors"],
            "load_generator_tasks": dict(merged["failures"]),
        },
        "targets": {
            "no_lost_or_double_counted_meter_values": meters.get("lost", 0) == 0
            and meters.get("double_counted", 0) == 0,
            "api_p99_under_200_ms": worst_api < TARGET_API_P99_MS,
            "memory_flat_after_warm_up (< 1 MiB/min)": all(abs(s) < 1.0 for s in process_slopes),
            "zero_deadlocks": locks == 0,
        },
    }


def markdown(report: dict[str, Any]) -> str:
    lines = ["# Soak test", "", "```json", json.dumps(report["settings"]), "```", ""]
    lines += [f"- messages/s: {report['messages_per_second']} ({report['messages']:,} messages)"]
    lines += [f"- live updates: {report['live_updates']}", f"- deadlocks: {report['deadlocks']}"]
    lines += [f"- meter values: {report['meter_values']}", f"- errors: {report['errors']}", ""]
    lines += ["| endpoint | requests | p50 ms | p99 ms |", "|---|---|---|---|"]
    lines += [f"| {k} | {v['requests']} | {v['p50_ms']} | {v['p99_ms']} |" for k, v in report["api"].items()]
    lines += ["", "| process | lag p50 ms | p99 ms | max ms |", "|---|---|---|---|"]
    lines += [
        f"| {k} | {v['p50_ms']} | {v['p99_ms']} | {v['max_ms']} |" for k, v in report["event_loop_lag_probe"].items()
    ]
    lines += ["", "| memory | slope after warm-up MiB/min | RSS MiB over time (minute, MiB) |", "|---|---|---|"]
    lines += [
        f"| {k} | {v['slope_mib_per_min_after_warm_up']} | {v['series']} |" for k, v in report["memory_rss_mib"].items()
    ]
    lines += ["", "| target | met |", "|---|---|"]
    lines += [f"| {k} | {'yes' if v else 'NO'} |" for k, v in report["targets"].items()]
    return "\n".join(lines) + "\n"


# ----- one load-generating shard (a child process) -----------------------------------------------------------


async def run_shard(args: argparse.Namespace, servers: list[Endpoint], uids: dict[str, str]) -> dict[str, Any]:
    soak = Soak(args, servers, uids)
    tag = f"shard {args.shard + 1}/{args.shards}"
    try:
        seconds = await soak.connect_chargers()
        print(f"{tag}: {len(soak.chargers):,} chargers connected and booted in {seconds:.1f} s", flush=True)
        users = await soak.sign_in()
        print(f"{tag}: {len(users):,} app users signed in; running {args.minutes:g} minutes", flush=True)
        started = time.monotonic()
        deadline = started + args.minutes * 60
        messages_before = soak.messages
        for n, charger in enumerate(soak.rfid_chargers):
            soak.spawn(soak.rfid_charger(n, charger, deadline))
        for n, (token, headers) in enumerate(users):
            soak.spawn(soak.user(n, token, headers, deadline))
        while time.monotonic() < deadline:
            await asyncio.sleep(min(60.0, deadline - time.monotonic()))
            minute = (time.monotonic() - started) / 60
            charging = sum(1 for c in soak.chargers if c.current is not None)
            print(f"{tag} {minute:5.1f} min: {charging:,} charging, {soak.messages:,} messages", flush=True)
        elapsed = time.monotonic() - started
        soak.messages -= messages_before
        await soak.stop_everything()
        await asyncio.sleep(SETTLE_SECONDS)  # batched meter samples and stops reach the database
        meters = await meter_check(args.url, soak.transactions)
        return shard_results(soak, elapsed, meters)
    finally:
        await soak.close()


def shard_main(args: argparse.Namespace) -> int:
    setup = json.loads(Path(args.shard_setup).read_text())
    args.url = setup["url"]
    servers = [Endpoint(base, port) for base, port in setup["servers"]]
    ordered = sorted(setup["uids"].items())
    mine = dict(ordered[args.shard :: args.shards])
    results = asyncio.run(run_shard(args, servers, mine))
    Path(f"{args.shard_setup}.{args.shard}.json").write_text(json.dumps(results))
    return 0


# ----- the supervisor: database, serving processes, shards, probes -------------------------------------------


def shards_needed(args: argparse.Namespace) -> int:
    """Enough load-generating processes that each stays well inside its open-file limit (one socket a charger,
    a few per app user)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    per_shard = max(1000, int(hard * 0.7))
    return max(1, -(-(int(args.chargers) + 3 * int(args.users)) // per_shard))


SCRIPT = str(Path(__file__).resolve())


def rss_of(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def supervise(args: argparse.Namespace, servers: list[Server], setup: Path) -> dict[str, Any]:
    for server in servers:
        await server.ready(120)
    locks_before = await deadlocks(args.url)
    started = time.monotonic()
    command = [sys.executable, SCRIPT, "--shard-setup", str(setup), "--shards", str(args.shards)]
    command += ["--minutes", str(args.minutes), "--users", str(args.users), "--chargers", str(args.chargers)]
    command += ["--charging-share", str(args.charging_share)]
    children = [
        await asyncio.create_subprocess_exec(*command, "--shard", str(k), "--seed", str(args.seed + k))
        for k in range(args.shards)
    ]
    lag: dict[str, list[float]] = defaultdict(list)
    rss: dict[str, list[tuple[float, float]]] = defaultdict(list)
    waiting = asyncio.gather(*(child.wait() for child in children))
    next_sample = started
    async with httpx.AsyncClient(timeout=30, trust_env=False) as client:
        while not waiting.done():
            for n, server in enumerate(servers):
                moment = time.perf_counter()
                with contextlib.suppress(httpx.HTTPError):
                    await client.get(f"{server.base}/health")
                    lag[f"process {n + 1}"].append(time.perf_counter() - moment)
            if time.monotonic() >= next_sample:
                minute = (time.monotonic() - started) / 60
                for n, server in enumerate(servers):
                    rss[f"process {n + 1}"].append((minute, server.rss_mib()))
                for k, child in enumerate(children):
                    rss[f"load generator {k + 1}"].append((minute, rss_of(child.pid)))
                print(
                    f"  {minute:5.1f} min: RSS " + ", ".join(f"{s.rss_mib():.0f}" for s in servers) + " MiB", flush=True
                )
                next_sample += SAMPLE_EVERY
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(waiting), PROBE_EVERY)
    codes = waiting.result()
    if any(codes):
        raise RuntimeError(f"a load-generating shard failed: exit codes {codes}")
    locks = await deadlocks(args.url) - locks_before
    return build_report(merge_shards(read_shard_results(setup, args.shards)), lag, rss, args, locks)


def read_shard_results(setup: Path, shards: int) -> list[dict[str, Any]]:
    return [json.loads(Path(f"{setup}.{k}.json").read_text()) for k in range(shards)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=20.0, help="length of the run (default 20)")
    parser.add_argument("--chargers", type=int, default=20_000, help="simulated chargers (default 20,000)")
    parser.add_argument("--users", type=int, default=1_000, help="simulated app users (default 1,000)")
    parser.add_argument("--charging-share", type=float, default=0.3, help="share of chargers charging at a time")
    parser.add_argument("--warm-up-minutes", type=float, default=3.0, help="minutes before memory must be flat")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES, help="server to create the soak database on")
    parser.add_argument("--report", default="bench/results/soak", help="path prefix of the .json and .md report")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--shards", type=int, default=0, help="load-generating processes (default: as the open-file limit needs)"
    )
    parser.add_argument("--shard", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--shard-setup", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.chargers < 4 or args.users < 1 or args.minutes <= 0:
        parser.error("--chargers at least 4, --users at least 1, --minutes above 0")
    random.seed(args.seed)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.shard_setup:
        return shard_main(args)
    args.shards = args.shards or shards_needed(args)
    work = Path(tempfile.mkdtemp(prefix="voltway-soak-"))
    args.url = asyncio.run(create_database(args.postgres_url, "voltway_soak"))
    print(
        f"PostgreSQL database {make_url(args.url).database}; {os.cpu_count()} cores; load {loadavg()}; "
        f"{args.shards} load-generating process(es)",
        flush=True,
    )
    servers: list[Server] = []
    try:
        moment = time.perf_counter()
        uids = asyncio.run(provision(args.url, args.chargers))
        print(f"provisioned {len(uids):,} chargers in {time.perf_counter() - moment:.0f} s", flush=True)
        for n in range(2):
            (work / f"p{n}").mkdir()
            servers.append(Server(args.url, work / f"p{n}", pin=False, profile=None))
        setup = work / "setup.json"
        endpoints = [(server.base, server.ocpp_port) for server in servers]
        setup.write_text(json.dumps({"url": args.url, "servers": endpoints, "uids": uids}))
        try:
            report = asyncio.run(supervise(args, servers, setup))
        except Exception:
            for server in servers:
                print(f"server log (last lines):\n{server.tail()}", file=sys.stderr)
            raise
    finally:
        for server in servers:
            server.stop()
        asyncio.run(drop_database(args.url))
        shutil.rmtree(work, ignore_errors=True)
    text = markdown(report)
    print(text)
    target = Path(args.report)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    target.with_suffix(".md").write_text(text)
    print(f"report written to {target.with_suffix('.json')} and {target.with_suffix('.md')}")
    return 0 if all(report["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
