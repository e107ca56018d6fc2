"""The quick ways of pricing give exactly what the plain ways give.

* `Selector.pick` (restrictions decided per stretch of a session) picks what `CompiledTariff.find` picks with the
  whole moment, across DST changes and wall-clock marks in the repeated or skipped hour;
* `price_grouped` (volumes summed per component) equals `price_by_period`, or declines;
* `price_cdr_document` reports the same first problem of a session as `decode_session`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pricing.cdr_document import price_cdr_document
from pricing.costing import price_by_period, price_grouped, price_session
from pricing.errors import PricingInputError
from pricing.restrictions import CompiledTariff, Moment, Selector
from pricing.session import decode_session, load_time_zone
from pricing.tariff import Tariff, TariffDimensionType, decode_tariff

D = Decimal
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ZONES = ["UTC", "Europe/Amsterdam", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"]
# Instants next to DST changes: spring and autumn in Europe and the US, Lord Howe's half-hour change.
NEAR = [
    datetime(2024, 3, 31, 0, 30, tzinfo=UTC),
    datetime(2024, 10, 27, 0, 0, tzinfo=UTC),
    datetime(2024, 3, 10, 6, 0, tzinfo=UTC),
    datetime(2024, 11, 3, 5, 0, tzinfo=UTC),
    datetime(2024, 4, 6, 14, 0, tzinfo=UTC),
    datetime(2024, 1, 15, 12, 0, tzinfo=UTC),
]
TIMES = ["00:00", "01:30", "02:00", "02:30", "03:00", "07:00", "17:00", "23:00"]
DAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
PRICES = ["0", "0.05", "0.29", "1.2", "5"]
VATS = [None, "0", "20", "5.2", "21"]


@st.composite
def tariffs(draw: st.DrawFn) -> Tariff:
    elements = []
    for _ in range(draw(st.integers(1, 5))):
        components = []
        for kind in sorted(draw(st.sets(st.sampled_from(["ENERGY", "FLAT", "TIME", "PARKING_TIME"]), min_size=1))):
            component: dict[str, Any] = {
                "type": kind,
                "price": draw(st.sampled_from(PRICES)),
                "step_size": draw(st.sampled_from([0, 1, 60, 300, 100])),
            }
            vat = draw(st.sampled_from(VATS))
            if vat is not None:
                component["vat"] = vat
            components.append(component)
        rules: dict[str, Any] = {}
        if draw(st.booleans()):
            rules["start_time"] = draw(st.sampled_from(TIMES))
            rules["end_time"] = draw(st.sampled_from(TIMES))
        if draw(st.booleans()):
            rules["day_of_week"] = sorted(draw(st.sets(st.sampled_from(DAYS), min_size=1)), key=DAYS.index)
        if draw(st.integers(0, 4)) == 0:
            rules["start_date" if draw(st.booleans()) else "end_date"] = draw(
                st.sampled_from(["2024-03-31", "2024-10-27", "2024-01-15"])
            )
        for low, high, values in (
            ("min_duration", "max_duration", [600, 1800, 3600]),
            ("min_kwh", "max_kwh", ["1", "5", "10"]),
            ("min_power", "max_power", ["3.7", "11", "22"]),
            ("min_current", "max_current", ["16", "32"]),
        ):
            if draw(st.integers(0, 2)) == 0:
                rules[low if draw(st.booleans()) else high] = draw(st.sampled_from(values))
        element: dict[str, Any] = {"price_components": components}
        if rules:
            element["restrictions"] = rules
        elements.append(element)
    body: dict[str, Any] = {"id": "e", "currency": "EUR", "elements": elements}
    if draw(st.booleans()):
        body["min_price"] = {"excl_vat": "1", "incl_vat": "1.2"}
    if draw(st.booleans()):
        body["max_price"] = {"excl_vat": "30"}
    return decode_tariff(json.dumps(body))


@st.composite
def sessions(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(st.sampled_from(NEAR)) + timedelta(seconds=draw(st.integers(-4 * 3600, 4 * 3600)))
    at = start
    periods = []
    for _ in range(draw(st.integers(1, 30))):
        seconds = draw(st.sampled_from([1, 9, 59, 60, 300, 900, 1799, 3600, 5400]))
        charging = draw(st.booleans())
        dimensions: list[dict[str, Any]] = []
        if charging or draw(st.booleans()):
            dimensions.append({"type": "ENERGY", "volume": str(D(draw(st.integers(0, 9000))) / 1000)})
        hours = D(seconds) / 3600
        if seconds % 9:  # no finite decimal: written to 7 decimals, as CDRs do
            hours = hours.quantize(D("0.0000001"))
        dimensions.append({"type": "TIME" if charging else "PARKING_TIME", "volume": str(hours)})
        power = draw(st.sampled_from([None, "POWER", "MAX_POWER", "MIN_POWER"]))
        if power is not None:
            dimensions.append({"type": power, "volume": draw(st.sampled_from(["3.7", "11", "22", "50"]))})
        if draw(st.integers(0, 3)) == 0:
            dimensions.append({"type": "CURRENT", "volume": draw(st.sampled_from(["10", "16", "32"]))})
        periods.append({"start_date_time": at.isoformat(), "dimensions": dimensions})
        at += timedelta(seconds=seconds)
    return {
        "start_date_time": start.isoformat(),
        "end_date_time": at.isoformat(),
        "charging_periods": periods,
        "time_zone": draw(st.sampled_from(ZONES)),
    }


@SETTINGS
@given(tariffs(), st.sampled_from(ZONES), st.sampled_from(NEAR), st.lists(st.integers(0, 12 * 3600), max_size=40))
def test_selector_picks_what_find_picks(tariff: Tariff, zone: str, origin: datetime, offsets: list[int]) -> None:
    compiled = CompiledTariff(tariff, ZoneInfo(zone))
    dimensions = list(TariffDimensionType)
    selector = Selector(compiled, (compiled.regular[d] for d in dimensions))
    energy = D(0)
    for offset in sorted(offsets):
        start = origin + timedelta(seconds=offset, microseconds=offset % 7)
        elapsed = start - origin
        if not selector.current(start, elapsed, energy):
            selector.refresh(start, elapsed, energy, origin if offset % 2 else None)
        for power in (None, D("3.7"), D("11"), D("22")):
            current = None if power is None else power * 2
            moment = Moment(start.astimezone(compiled.tz), elapsed, energy, power, power, current, current)
            for position, dimension in enumerate(dimensions):
                slot = selector.pick(position, power, power, current, current)
                picked = compiled.regular[dimension][slot][1] if slot >= 0 else None
                assert picked is compiled.find(compiled.regular[dimension], moment)
        energy += D(offset % 4000) / 1000


@pytest.mark.parametrize("zone", ZONES)
def test_local_span_holds_one_offset_and_stops_at_marks(zone: str) -> None:
    tariff = decode_tariff(
        json.dumps(
            {
                "id": "m",
                "currency": "EUR",
                "elements": [
                    {
                        "price_components": [{"type": "ENERGY", "price": "1", "step_size": 1}],
                        "restrictions": {"start_time": "02:30", "end_time": "03:00", "day_of_week": ["SUNDAY"]},
                    }
                ],
            }
        )
    )
    compiled = CompiledTariff(tariff, ZoneInfo(zone))
    (restrictions, _), *_ = compiled.regular[TariffDimensionType.ENERGY]
    assert restrictions is not None
    for near in NEAR:
        at = near - timedelta(hours=3, seconds=7)
        while at < near + timedelta(hours=3):
            local, until = compiled.local_span(at)
            assert until > at
            holds = restrictions.local_holds(local)
            probe = at
            while probe < until:
                probe_local = probe.astimezone(compiled.tz)
                assert probe_local.utcoffset() == local.utcoffset()
                assert restrictions.local_holds(probe_local) is holds
                last = until - timedelta(microseconds=1)
                probe = min(probe + timedelta(seconds=50), last) if probe < last else until
            after = until.astimezone(compiled.tz)
            assert (
                after.utcoffset() != local.utcoffset()
                or (after.hour * 60 + after.minute in compiled.time_marks and after.second == 0)
                or until - at.astimezone(UTC) == timedelta(hours=6)
            )
            at = until


@SETTINGS
@given(tariffs(), sessions())
def test_grouped_pricing_equals_pricing_period_by_period(tariff: Tariff, body: dict[str, Any]) -> None:
    session = decode_session(json.dumps(body))
    tz = load_time_zone(session.time_zone)
    grouped = price_grouped(tariff, session, tz)
    assert grouped is not None
    assert grouped == price_by_period(tariff, session, tz, None)
    assert price_session(tariff, session) == grouped


def test_grouped_pricing_declines_numbers_with_too_many_digits() -> None:
    tariff = decode_tariff(
        json.dumps(
            {
                "id": "d",
                "currency": "EUR",
                "elements": [
                    {"price_components": [{"type": "TIME", "price": "1.234567", "vat": "21", "step_size": 1}]}
                ],
            }
        )
    )
    volume = str(D(1) / D(7))  # 28 digits
    body = {
        "start_date_time": "2024-01-01T00:00:00Z",
        "end_date_time": "2024-01-01T02:00:00Z",
        "charging_periods": [
            {"start_date_time": f"2024-01-01T0{hour}:00:00Z", "dimensions": [{"type": "TIME", "volume": volume}]}
            for hour in range(2)
        ],
    }
    session = decode_session(json.dumps(body))
    assert price_grouped(tariff, session, ZoneInfo("UTC")) is None
    assert price_session(tariff, session) == price_by_period(tariff, session, ZoneInfo("UTC"), None)


DEFECTS = [
    ("charging_periods", 1, "start_date_time", "2023-12-31T00:00:00Z"),
    ("charging_periods", 0, "volume", "NaN"),
    ("charging_periods", 1, "volume", "-Infinity"),
    ("charging_periods", 1, "volume", "-0.5"),
    ("charging_periods", 0, "duplicate", "ENERGY"),
    ("charging_periods", 1, "duplicate", "STATE_OF_CHARGE"),
    ("charging_periods", 1, "start_date_time", "2030-01-01T00:00:00Z"),
    ("charging_periods", 0, "start_date_time", "2024-01-15T12:00:00"),
]


def _first_problem(tariff: bytes, session: bytes) -> str | None:
    try:
        price_session(decode_tariff(tariff), decode_session(session))
    except PricingInputError as exc:
        return str(exc)
    return None


@pytest.mark.parametrize(("_", "index", "what", "value"), DEFECTS)
def test_cdr_document_reports_the_first_problem_like_decode_session(_: str, index: int, what: str, value: str) -> None:
    body: dict[str, Any] = {
        "start_date_time": "2024-01-15T12:00:00Z",
        "end_date_time": "2024-01-15T13:00:00Z",
        "charging_periods": [
            {
                "start_date_time": f"2024-01-15T12:{minute:02}:00Z",
                "dimensions": [
                    {"type": "ENERGY", "volume": "1"},
                    {"type": "STATE_OF_CHARGE", "volume": "40"},
                    {"type": "TIME", "volume": "0.25"},
                ],
            }
            for minute in (0, 15, 30)
        ],
    }
    period = body["charging_periods"][index]
    if what == "start_date_time":
        period["start_date_time"] = value
    elif what == "volume":
        period["dimensions"][2]["volume"] = value
    else:
        period["dimensions"].append({"type": value, "volume": "1"})
    data = json.dumps(body).encode()
    tariff = json.dumps(
        {
            "id": "t",
            "currency": "EUR",
            "elements": [{"price_components": [{"type": "TIME", "price": "2", "step_size": 1}]}],
        }
    ).encode()
    problem = _first_problem(tariff, data)
    if problem is None:
        expected = price_session(decode_tariff(tariff), decode_session(data))
        document = json.loads(price_cdr_document(tariff, data))
        assert D(document["total_cost"]["excl_vat"]) == expected.total_cost.excl_vat
    else:
        with pytest.raises(PricingInputError) as caught:
            price_cdr_document(tariff, data)
        assert str(caught.value) == f"session.{problem}"
