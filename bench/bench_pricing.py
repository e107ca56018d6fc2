"""Benchmark of the pricing engine: a 10-hour session with one-minute periods (600 periods) priced as a CDR,
and the live meter per sample. Targets: under 5 ms per CDR, under 20 microseconds per live sample; with margin,
2.5 ms per CDR (JSON decode and encode included) and 10 microseconds per live sample with its running totals.

Run: .venv/bin/python bench/bench_pricing.py
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import msgspec

from pricing.cdr_document import price_cdr_document
from pricing.costing import price_session
from pricing.live_meter import ConnectorState, LiveMeter, MeterSample
from pricing.session import decode_session
from pricing.tariff import decode_tariff

PERIODS = 600
START = datetime(2024, 3, 30, 20, 0, tzinfo=UTC)  # crosses midnight and the DST change in Europe/Amsterdam
ZONE = "Europe/Amsterdam"

TARIFF = json.dumps(
    {
        "id": "bench",
        "currency": "EUR",
        "min_price": {"excl_vat": "1.00", "incl_vat": "1.21"},
        "max_price": {"excl_vat": "200", "incl_vat": "242"},
        "elements": [
            {"price_components": [{"type": "FLAT", "price": "0.50", "vat": "21", "step_size": 1}]},
            {
                "price_components": [{"type": "ENERGY", "price": "0.29", "vat": "21", "step_size": 100}],
                "restrictions": {"start_time": "23:00", "end_time": "07:00"},
            },
            {
                "price_components": [{"type": "ENERGY", "price": "0.45", "vat": "21", "step_size": 100}],
                "restrictions": {"min_power": "50"},
            },
            {"price_components": [{"type": "ENERGY", "price": "0.39", "vat": "21", "step_size": 100}]},
            {
                "price_components": [{"type": "TIME", "price": "0.60", "vat": "21", "step_size": 60}],
                "restrictions": {"min_duration": 14400},
            },
            {
                "price_components": [{"type": "PARKING_TIME", "price": "6.00", "vat": "21", "step_size": 300}],
                "restrictions": {"start_time": "08:00", "end_time": "20:00", "day_of_week": ["SATURDAY", "SUNDAY"]},
            },
        ],
    }
).encode()


def session_document() -> bytes:
    periods = []
    for minute in range(PERIODS):
        charging = minute < 480
        dimensions = [
            {"type": "ENERGY", "volume": "0.183" if charging else "0"},
            {"type": "TIME" if charging else "PARKING_TIME", "volume": "0.0166667"},
            {"type": "MAX_POWER", "volume": "11" if charging else "0"},
        ]
        at = START + timedelta(minutes=minute)
        periods.append({"start_date_time": at.isoformat(), "dimensions": dimensions})
    return json.dumps(
        {
            "start_date_time": START.isoformat(),
            "end_date_time": (START + timedelta(minutes=PERIODS)).isoformat(),
            "time_zone": ZONE,
            "charging_periods": periods,
        }
    ).encode()


def samples() -> list[MeterSample]:
    out = []
    for minute in range(PERIODS + 1):
        charging = minute < 480
        out.append(
            MeterSample(
                START + timedelta(minutes=minute),
                Decimal(183 * min(minute, 480)),
                Decimal(11000 if charging else 0),
                ConnectorState.CHARGING if charging else ConnectorState.SUSPENDED,
            )
        )
    return out


def measure(run: Callable[[], object], repeats: int) -> list[float]:
    """Wall time of each run, in microseconds."""
    times = []
    for _ in range(repeats):
        began = time.perf_counter_ns()
        run()
        times.append((time.perf_counter_ns() - began) / 1000)
    return times


def report(
    name: str, times: list[float], per: int = 1, target: float | None = None, margin: float | None = None
) -> None:
    ordered = sorted(t / per for t in times)
    median = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    verdict = ""
    if target is not None:
        verdict = f"  target < {target:g} us: {'met' if median < target else 'MISSED'}"
    if margin is not None:
        verdict += f", with margin < {margin:g} us: {'met' if median < margin else 'MISSED'}"
    print(f"{name:<48} median {median:10.1f} us   p99 {p99:10.1f} us{verdict}")


def main() -> None:
    session_json = session_document()
    tariff = decode_tariff(TARIFF)
    session = decode_session(session_json)
    run_samples = samples()
    repeats = 200

    print(f"pricing benchmark: {PERIODS} one-minute periods, {len(session_json)} bytes of session JSON")
    report("baseline: json decode only (untyped)", measure(lambda: msgspec.json.decode(session_json), repeats))
    report("decode_session (typed, validated)", measure(lambda: decode_session(session_json), repeats))
    report("price_session on decoded input", measure(lambda: price_session(tariff, session), repeats))
    report(
        "price_cdr_document: bytes in, bytes out",
        measure(lambda: price_cdr_document(TARIFF, session_json), repeats),
        target=5000,
        margin=2500,
    )

    def live() -> None:
        meter = LiveMeter(tariff, ZONE)
        for sample in run_samples:
            meter.add(sample)

    def live_with_totals() -> None:
        meter = LiveMeter(tariff, ZONE)
        for sample in run_samples:
            meter.add(sample)
            meter.totals()

    per = len(run_samples)
    report("live meter: add, per sample", measure(live, repeats // 4), per=per, target=20)
    report(
        "live meter: add + totals(), per sample",
        measure(live_with_totals, repeats // 4),
        per=per,
        target=20,
        margin=10,
    )
    result = json.loads(price_cdr_document(TARIFF, session_json))
    print(
        f"session total incl. VAT {result['total_cost']['incl_vat']} {result['currency']}, due {result['amount_due']}"
    )


if __name__ == "__main__":
    main()
