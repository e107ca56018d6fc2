"""Benchmark of the event-driven alert detectors: 20,000 chargers connect and report their connectors at once (a boot
storm after a deploy), then 2,000 of them fault and recover. Measures the time the charger's message loop spends in
the detector per event and, for every report, the time from the event to its delivery to the sink (the alert engine
is replaced by a sink that keeps the arrival time, so this is the detectors' share of the 5 s event-to-alert budget).

Run: .venv/bin/python bench/bench_alert_detectors.py [chargers]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime

from api.domain.operations.conditions import DEFAULT_RULES, ConditionReport, StaticRuleBook
from api.domain.operations.detectors.charger_messages import ChargerConditions
from api.domain.operations.detectors.queue import ConditionQueue
from ocpp_bridge.events import ChargerConnected, ChargerEvent, StatusChanged

CONNECTORS = 2


class TimingSink:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.sent: dict[tuple[str, str | None, int | None, bool], float] = {}

    async def report(self, condition: ConditionReport) -> None:
        key = (condition.rule, condition.charger_id, condition.connector_id, condition.active)
        self.latencies.append(time.perf_counter() - self.sent[key])
        await asyncio.sleep(0)  # a real engine awaits something per report


def _connections(chargers: int) -> list[ChargerEvent]:
    now = datetime.now(UTC)
    return [
        ChargerConnected(charger_id=f"BENCH-{n:05d}", ocpp_version="1.6", remote_address=None, at=now)
        for n in range(chargers)
    ]


def _statuses(chargers: int, status: str) -> list[ChargerEvent]:
    now = datetime.now(UTC)
    return [
        StatusChanged(
            charger_id=f"BENCH-{n:05d}",
            ocpp_version="1.6",
            message_id=f"{n}-{connector}",
            received_at=now,
            connector_id=connector,
            status=status,
            error_code="GroundFailure" if status == "Faulted" else "NoError",
            timestamp=now,
        )
        for n in range(chargers)
        for connector in range(1, CONNECTORS + 1)
    ]


def _key(event: ChargerEvent) -> tuple[str, str | None, int | None, bool]:
    if isinstance(event, StatusChanged):
        return ("connector_faulted", event.charger_id, event.connector_id, event.status == "Faulted")
    return ("charger_offline", event.charger_id, None, False)


async def run(chargers: int) -> None:
    sink = TimingSink()
    queue = ConditionQueue(sink)
    watch = ChargerConditions(queue, StaticRuleBook(DEFAULT_RULES))
    phases = (
        ("boot storm", _connections(chargers) + _statuses(chargers, "Available")),
        ("faults", _statuses(chargers // 10, "Faulted")),
        ("recoveries", _statuses(chargers // 10, "Available")),
    )
    for phase, events in phases:
        sink.latencies.clear()
        handling: list[float] = []
        started = time.perf_counter()
        for event in events:
            before = sink.sent[_key(event)] = time.perf_counter()
            watch.charger_event(event)
            handling.append(time.perf_counter() - before)
        await queue.drain()
        elapsed = time.perf_counter() - started
        latencies = sorted(sink.latencies)
        p99 = latencies[int(len(latencies) * 0.99) - 1]
        print(
            f"{phase:>11}: {len(events):6d} events, {len(latencies):6d} reports in {elapsed:.2f} s; "
            f"per event on the message loop median {statistics.median(handling) * 1e6:.1f} us; "
            f"event to sink p50 {statistics.median(latencies) * 1e3:.0f} ms, p99 {p99 * 1e3:.0f} ms"
        )
    await queue.stop()


if __name__ == "__main__":
    asyncio.run(run(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000))
