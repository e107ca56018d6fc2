"""OCPP central system under load: our bridge (``BridgeRuntime``: CentralSystem + CsmsService on a real database
with batched meter writes) against a plain ``ocpp``-library central system with the same handlers and the same
persistence (``bench/ocpp_baseline.py``), both measured in the same run.

Each server runs in its own process pinned to core 0 (``taskset -c 0``), one at a time; the load generator
(``bench/ocpp_load.py``, raw websockets, OCPP 1.6J) runs in its own process pinned to core 1. Chargers are
provisioned in a fresh database (SQLite file, or ``--postgres``); each one boots, reports its connector and
starts a transaction over OCPP before the measurements, and stops it afterwards. The message mix is 90 %
MeterValues (energy, power, SoC), 5 % Heartbeat, 5 % StatusNotification; for the traffic rounds chargers
connect and warm up 100 at a time, and a charger sends at most 10 messages/s (the bridge refuses more than 20/s).

Measured:
- sustained messages/s (closed loop, every charger sends again as soon as it is answered), ours and baseline,
  median of interleaved rounds, and the ratio (target >= 8x);
- round trips p50/p99 at 2,000 msg/s offered (open loop; target p99 < 100 ms);
- 10,000 chargers connecting and booting at once: time to absorb them, and memory per idle booted connection
  (server RSS before/after) with permessage-deflate off (target < 25 KiB) and on;
- meter rows actually in ``meter_samples`` after each server run, and CallErrors (must be 0).

Usage: .venv/bin/python bench/bench_ocpp.py [--quick] [--postgres [URL]] [--connections N] [--storm N]
       [--rounds N] [--seconds S] [--latency-seconds S] [--rate R] [--profile DIR]
A full run takes about 6-8 minutes on 2 cores; ``--quick`` (1,000 chargers, 2,000 in the storm, one round)
about 1-2 minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.ocpp_database import count_rows, provision, sqlite_url
from bench.ocpp_load import load_process
from bench.postgres_database import create_database, drop_database

SETTLE_SECONDS = 3.0  # after the warm-up, before the open loop
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
SERVER = Path(__file__).resolve().parent / "ocpp_server.py"
STEP_TIMEOUT = 300.0
TARGET_RATIO = 8.0
TARGET_P99_MS = 100.0
TARGET_KIB = 25.0
TICKS = os.sysconf("SC_CLK_TCK")


# ----- processes ---------------------------------------------------------------------------------------------


class Server:
    """A central system process on core 0."""

    def __init__(self, kind: str, url: str, *, compression: bool = False, profile: str | None = None) -> None:
        command = ["taskset", "-c", "0", sys.executable, str(SERVER), kind, url]
        if compression:
            command.append("--compression")
        if profile:
            command += ["--profile", profile]
        self.kind = kind
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().split()
        if len(line) != 2 or line[0] != "READY":
            self.process.kill()
            msg = f"{kind} server did not start: {line}"
            raise RuntimeError(msg)
        self.port = int(line[1])
        self.rows_written = 0

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS

    def stop(self) -> None:
        self.process.send_signal(2)
        try:
            out, _ = self.process.communicate(timeout=180)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            print(f"  ({self.kind} server did not stop in time: killed)")
            return
        for line in out.splitlines():
            if line.startswith("DONE "):
                self.rows_written = int(line.split()[1])


class LoadProcess:
    """The load generator on core 1, one step at a time over a pipe."""

    def __init__(self, port: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipe, child = context.Pipe()
        self.process = context.Process(target=load_process, args=(child, "127.0.0.1", port, 1), daemon=True)
        self.process.start()

    def step(self, op: str, **arguments: Any) -> dict[str, Any]:
        self.pipe.send({"op": op, **arguments})
        if not self.pipe.poll(STEP_TIMEOUT):
            msg = f"load step {op} did not finish in {STEP_TIMEOUT} s"
            raise TimeoutError(msg)
        result: dict[str, Any] = self.pipe.recv()
        return result

    def exit(self) -> None:
        pipe: Connection = self.pipe
        pipe.send({"op": "exit"})
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()


# ----- one server run ------------------------------------------------------------------------------------


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def describe(step: dict[str, Any]) -> str:
    text = (
        f"{step['name']}: {step['per_second']:,.0f}/s, p50 {step['p50_ms']:.1f} ms, p99 {step['p99_ms']:.1f} ms, "
        f"max {step['max_ms']:.0f} ms, sent {step['sent']:,}, answered {step['answered']:,}, "
        f"CallErrors {step['call_errors']}"
    )
    if step["error_codes"]:
        text += f" {step['error_codes']}"
    if step["unanswered"]:
        text += f", unanswered {step['unanswered']}"
    if step["skipped"]:
        text += f", skipped (every charger still waiting) {step['skipped']:,}"
    if step["failures"]:
        text += f", failures {step['failures']}"
    return text


def traffic_run(kind: str, url: str, args: argparse.Namespace, *, latency_seconds: float, label: str) -> dict[str, Any]:
    """Connect, warm up, closed loop, open loop at the target rate, stop transactions; persistence counted."""
    rows_before, _ = asyncio.run(count_rows(url))
    profile = f"{args.profile}/{kind}-{label}.prof" if args.profile else None
    server = Server(kind, url, profile=profile)
    load = LoadProcess(server.port)
    result: dict[str, Any] = {"kind": kind}
    try:
        idle = server.rss_kib()
        connect = load.step("connect", first=1, count=args.connections, deflate=False, concurrency=100)
        time.sleep(1.0)
        result["kib_per_connection"] = (server.rss_kib() - idle) / max(1, connect["answered"])
        warm = load.step("warm_up", concurrency=100)
        # The open loop first, after the warm-up's writes have settled: round trips at a steady offered rate,
        # not while the server still writes the backlog of an overload phase.
        time.sleep(SETTLE_SECONDS)
        result["open"] = None
        if latency_seconds > 0:
            cpu, wall = server.cpu_seconds(), time.perf_counter()
            result["open"] = load.step("open", rate=args.rate, seconds=latency_seconds)
            result["open_cpu"] = (server.cpu_seconds() - cpu) / (time.perf_counter() - wall)
        cpu, wall = server.cpu_seconds(), time.perf_counter()
        closed = load.step("closed", seconds=args.seconds)
        result["closed_cpu"] = (server.cpu_seconds() - cpu) / (time.perf_counter() - wall)
        result["closed"] = closed
        stop = load.step("stop_transactions")
        load.step("close")
    finally:
        load.exit()
        server.stop()
    rows_after, transactions = asyncio.run(count_rows(url))
    result["rows"] = rows_after - rows_before
    result["rows_reported"] = server.rows_written
    errors = connect["call_errors"] + warm["call_errors"] + closed["call_errors"] + stop["call_errors"]
    errors += result["open"]["call_errors"] if result["open"] else 0
    result["call_errors"] = errors
    print(
        f"[{label}] {kind}: connect+boot {connect['answered']:,}/{args.connections:,} in {connect['seconds']:.1f} s "
        f"{connect['failures'] or ''}; warm-up (status + StartTransaction) {warm['answered']:,} transactions in "
        f"{warm['seconds']:.1f} s {warm['failures'] or ''}"
    )
    if result["open"]:
        print(f"    {describe(result['open'])} (server CPU {result['open_cpu']:.0%} of a core, drain included)")
    print(f"    {describe(closed)} (server CPU {result['closed_cpu']:.0%} of a core, drain included)")
    print(
        f"    stop transactions {stop['seconds']:.1f} s {stop['failures'] or ''}; meter rows written "
        f"{result['rows']:,} (writer reported {result['rows_reported']:,}); transactions in db {transactions:,}; "
        f"load {loadavg()}",
        flush=True,
    )
    return result


def storm_run(url: str, count: int, *, compression: bool, kind: str = "ours") -> dict[str, Any]:
    """``count`` chargers connect and boot at once; memory per idle booted connection from the server's RSS."""
    server = Server(kind, url, compression=compression)
    load = LoadProcess(server.port)
    try:
        time.sleep(1.0)
        before = server.rss_kib()
        connect = load.step("connect", first=1, count=count, deflate=compression)
        time.sleep(2.0)
        after = server.rss_kib()
        load.step("close")
    finally:
        load.exit()
        server.stop()
    per = (after - before) / max(1, connect["answered"])
    deflate = "on " if compression else "off"
    print(
        f"[storm] {kind}, deflate {deflate}: {connect['answered']:,}/{count:,} connected and booted in "
        f"{connect['seconds']:.1f} s (p50 {connect['p50_ms'] / 1000:.1f} s, p99 {connect['p99_ms'] / 1000:.1f} s) "
        f"{connect['failures'] or ''}; RSS {before / 1024:.0f} -> {after / 1024:.0f} MiB = {per:.1f} KiB per "
        f"connection; CallErrors {connect['call_errors']}; load {loadavg()}",
        flush=True,
    )
    return {"connect": connect, "kib": per}


# ----- main --------------------------------------------------------------------------------------------------


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", nargs="?", const=DEFAULT_POSTGRES, help="use PostgreSQL (default URL: test db)")
    parser.add_argument("--quick", action="store_true", help="1,000 chargers, 2,000 in the storm, one round")
    parser.add_argument("--connections", type=int, help="chargers for the traffic rounds (default 5,000)")
    parser.add_argument("--storm", type=int, help="chargers connecting at once (default 10,000; 0 skips)")
    parser.add_argument("--rounds", type=int, help="interleaved traffic rounds per server (default 2)")
    parser.add_argument("--seconds", type=float, help="closed-loop seconds per round (default 10)")
    parser.add_argument("--latency-seconds", type=float, help="open-loop seconds per round (default 10)")
    parser.add_argument("--rate", type=float, default=2000.0, help="offered msg/s of the open loop")
    parser.add_argument("--profile", help="directory for cProfile stats of each server run (slows the servers)")
    args = parser.parse_args()
    quick = args.quick
    args.connections = args.connections or (1000 if quick else 5000)
    args.storm = args.storm if args.storm is not None else (2000 if quick else 10000)
    args.rounds = args.rounds or (1 if quick else 2)
    args.seconds = args.seconds or (5.0 if quick else 10.0)
    args.latency_seconds = args.latency_seconds if args.latency_seconds is not None else (5.0 if quick else 10.0)
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)

    url = asyncio.run(create_database(args.postgres, "voltway_bench_ocpp")) if args.postgres else sqlite_url()
    database = "PostgreSQL" if args.postgres else "SQLite"
    started = time.perf_counter()
    print(f"load at start: {loadavg()} ({os.cpu_count()} cores); database {database}")
    try:
        chargers = max(args.connections, args.storm)
        seconds = asyncio.run(provision(url, chargers))
        print(f"provisioned {chargers:,} chargers and tokens in {seconds:.1f} s", flush=True)
        runs: dict[str, list[dict[str, Any]]] = {"ours": [], "baseline": []}
        for number in range(args.rounds):
            order = ["ours", "baseline"] if number % 2 == 0 else ["baseline", "ours"]
            for kind in order:
                # The baseline cannot keep up with the target rate: measure its latency once, shorter.
                latency = args.latency_seconds if kind == "ours" or number == 0 else 0.0
                if kind == "baseline":
                    latency = min(latency, 5.0)
                runs[kind].append(traffic_run(kind, url, args, latency_seconds=latency, label=f"round {number + 1}"))
        storms = []
        if args.storm:
            storms = [storm_run(url, args.storm, compression=False), storm_run(url, args.storm, compression=True)]
    finally:
        if args.postgres:
            asyncio.run(drop_database(url))

    ours = statistics.median(r["closed"]["per_second"] for r in runs["ours"])
    base = statistics.median(r["closed"]["per_second"] for r in runs["baseline"])
    ratio = ours / base if base else float("inf")
    ours_open = [r["open"] for r in runs["ours"] if r["open"]]
    p50 = statistics.median(o["p50_ms"] for o in ours_open)
    p99 = statistics.median(o["p99_ms"] for o in ours_open)
    base_open = [r["open"] for r in runs["baseline"] if r["open"]]
    errors = sum(r["call_errors"] for rs in runs.values() for r in rs) + sum(
        s["connect"]["call_errors"] for s in storms
    )
    rows = {kind: [r["rows"] for r in rs] for kind, rs in runs.items()}

    print()
    print(f"== OCPP 1.6J, {args.connections:,} chargers, {database}, {args.rounds} interleaved round(s) ==")
    print(
        f"sustained (closed loop, validation on, persistence on): ours {ours:,.0f} msg/s, baseline {base:,.0f} msg/s "
        f"(rounds: ours {[round(r['closed']['per_second']) for r in runs['ours']]}, baseline "
        f"{[round(r['closed']['per_second']) for r in runs['baseline']]}) -> {ratio:.1f}x "
        f"(target >= {TARGET_RATIO:.0f}x: {verdict(ratio >= TARGET_RATIO)})"
    )
    unanswered = sum(o["unanswered"] + o["skipped"] for o in ours_open)
    print(
        f"at {args.rate:,.0f} msg/s offered: ours p50 {p50:.1f} ms, p99 {p99:.1f} ms "
        f"(target p99 < {TARGET_P99_MS:.0f} ms: {verdict(p99 < TARGET_P99_MS and unanswered == 0)})"
    )
    for o in base_open:
        keeps_up = o["skipped"] == 0 and o["unanswered"] == 0 and o["per_second"] >= 0.95 * args.rate
        state = "keeps up" if keeps_up else "CANNOT keep up"
        print(
            f"  baseline at {args.rate:,.0f} msg/s offered: {state}: answered {o['per_second']:,.0f}/s, "
            f"p50 {o['p50_ms']:.0f} ms, p99 {o['p99_ms']:.0f} ms, skipped {o['skipped']:,}, "
            f"unanswered {o['unanswered']:,}"
        )
    kib = {kind: statistics.median(r["kib_per_connection"] for r in rs) for kind, rs in runs.items()}
    print(
        f"RSS per booted connection at {args.connections:,}: ours {kib['ours']:.1f} KiB, "
        f"baseline {kib['baseline']:.1f} KiB"
    )
    if storms:
        off, on = storms
        print(
            f"{args.storm:,} chargers at once: memory per idle booted connection {off['kib']:.1f} KiB deflate off "
            f"(target < {TARGET_KIB:.0f} KiB: {verdict(off['kib'] < TARGET_KIB)}), {on['kib']:.1f} KiB deflate on; "
            f"all connected and booted in {off['connect']['seconds']:.1f} s (deflate off), "
            f"{on['connect']['seconds']:.1f} s (deflate on); failed {off['connect']['failed']} / "
            f"{on['connect']['failed']}"
        )
    print(f"meter rows written per run: ours {rows['ours']}, baseline {rows['baseline']}")
    print(f"CallErrors in the whole run: {errors} (must be 0: {verdict(errors == 0)})")
    print(f"wall time {time.perf_counter() - started:.0f} s; load at end: {loadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
