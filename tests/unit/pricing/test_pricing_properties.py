"""Hypothesis properties of CDR costing and of the live meter.

OCPI rounds a session's total to the step_size of the *last* component of a dimension group, so when step sizes
or prices differ between elements, adding volume can move the rounding to a cheaper component and lower a total
(the spec's own "charging time is not rounded when followed by parking" rule). The monotonicity properties are
therefore stated for tariffs whose volumes are never rounded (step 1 with whole Wh and whole seconds), or where
each dimension has a single component.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pricing.cdr_document import price_cdr_document
from pricing.costing import CdrTotals, price_session
from pricing.live_meter import ConnectorState, LiveMeter, MeterSample, price_samples
from pricing.restrictions import CompiledTariff, Moment
from pricing.session import decode_session
from pricing.tariff import Tariff, TariffDimensionType, decode_tariff

D = Decimal
TINY = D("1e-25")
PROPERTY_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PRICES = ["0", "0.05", "0.25", "0.5", "1.2", "2.4", "5"]
VATS = [None, "0", "10", "20", "5.2"]
TIMES = ["00:00", "06:00", "07:30", "17:00", "20:00", "22:00"]
DAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
POWERS = ["3.7", "11", "22", "50", "150"]
ZONES = ["UTC", "Europe/Amsterdam", "America/New_York"]


@st.composite
def components(draw: st.DrawFn, *, steps: bool) -> list[dict[str, Any]]:
    kinds = draw(st.sets(st.sampled_from(["ENERGY", "FLAT", "TIME", "PARKING_TIME"]), min_size=1))
    out = []
    for kind in sorted(kinds):
        comp: dict[str, Any] = {"type": kind, "price": draw(st.sampled_from(PRICES)), "step_size": 1}
        if steps:
            comp["step_size"] = draw(st.sampled_from([0, 1, 60, 300, 500, 900, 1800]))
        vat = draw(st.sampled_from(VATS))
        if vat is not None:
            comp["vat"] = vat
        out.append(comp)
    return out


@st.composite
def restrictions(draw: st.DrawFn, *, power: bool, kwh: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if draw(st.booleans()):
        out["start_time"] = draw(st.sampled_from(TIMES))
        out["end_time"] = draw(st.sampled_from(TIMES))
    if draw(st.booleans()):
        out["day_of_week"] = sorted(draw(st.sets(st.sampled_from(DAYS), min_size=1)), key=DAYS.index)
    if draw(st.booleans()):
        out["min_duration" if draw(st.booleans()) else "max_duration"] = draw(st.sampled_from([600, 1800, 3600]))
    if kwh and draw(st.booleans()):
        out["min_kwh" if draw(st.booleans()) else "max_kwh"] = draw(st.sampled_from(["5", "10", "40"]))
    if power and draw(st.booleans()):
        out["min_power" if draw(st.booleans()) else "max_power"] = draw(st.sampled_from(["11", "22", "50"]))
    return out


@st.composite
def tariffs(draw: st.DrawFn, *, power: bool = True, kwh: bool = True) -> Tariff:
    """Multi-element tariffs with restrictions and step size 1 (no rounding with whole units)."""
    elements = []
    for _ in range(draw(st.integers(1, 4))):
        element: dict[str, Any] = {"price_components": draw(components(steps=False))}
        rules = draw(restrictions(power=power, kwh=kwh))
        if rules:
            element["restrictions"] = rules
        elements.append(element)
    body: dict[str, Any] = {"id": "p", "currency": "EUR", "elements": elements}
    if draw(st.booleans()):
        body["min_price"] = {"excl_vat": "1", "incl_vat": "1.2"}
    if draw(st.booleans()):
        body["max_price"] = {"excl_vat": "30", "incl_vat": "33"}
    return decode_tariff(json.dumps(body))


@st.composite
def single_price_tariffs(draw: st.DrawFn) -> Tariff:
    """One unrestricted element: any step sizes."""
    element = {"price_components": draw(components(steps=True))}
    return decode_tariff(json.dumps({"id": "s", "currency": "EUR", "elements": [element]}))


@st.composite
def sessions(draw: st.DrawFn, *, whole: bool = True) -> dict[str, Any]:
    start = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=draw(st.integers(0, 366 * 24 * 60)))
    at = start
    periods = []
    for _ in range(draw(st.integers(1, 6))):
        minutes = draw(st.integers(1, 240))
        charging = draw(st.booleans())
        if whole:
            energy = D(draw(st.integers(0, 40_000))) / 1000 if charging else D(0)
        else:
            energy = D(draw(st.integers(0, 4_000_000))) / 100_000 if charging else D(0)
        hours = D(minutes * 60) / 3600 if minutes % 3 == 0 else D(minutes) / 60
        periods.append(
            {
                "start_date_time": at.isoformat(),
                "dimensions": [
                    {"type": "ENERGY", "volume": str(energy)},
                    {"type": "TIME" if charging else "PARKING_TIME", "volume": str(hours)},
                    {"type": "POWER", "volume": draw(st.sampled_from(POWERS))},
                ],
            }
        )
        at += timedelta(minutes=minutes)
    return {
        "start_date_time": start.isoformat(),
        "end_date_time": at.isoformat(),
        "charging_periods": periods,
        "time_zone": draw(st.sampled_from(ZONES)),
    }


def total(tariff: Tariff, session: dict[str, Any]) -> CdrTotals:
    return price_session(tariff, decode_session(json.dumps(session)))


def whole_seconds(session: dict[str, Any]) -> dict[str, Any]:
    """Time volumes as whole seconds written exactly in hours (multiples of 1/3600 h that terminate)."""
    for period in session["charging_periods"]:
        for dimension in period["dimensions"]:
            if dimension["type"] in {"TIME", "PARKING_TIME"}:
                dimension["volume"] = str(D(round(D(dimension["volume"]) * 3600 / 9) * 9) / 3600)
    return session


@PROPERTY_SETTINGS
@given(tariffs(), sessions(), sessions())
def test_appending_a_period_never_lowers_the_total(tariff: Tariff, base: dict[str, Any], extra: dict[str, Any]) -> None:
    base = whole_seconds(base)
    before = total(tariff, base)
    last_end = datetime.fromisoformat(base["end_date_time"])
    added = whole_seconds(extra)["charging_periods"][0]
    length = datetime.fromisoformat(extra["end_date_time"]) - datetime.fromisoformat(extra["start_date_time"])
    added["start_date_time"] = last_end.isoformat()
    longer = dict(
        base, charging_periods=[*base["charging_periods"], added], end_date_time=(last_end + length).isoformat()
    )
    after = total(tariff, longer)
    assert after.total_cost.excl_vat >= before.total_cost.excl_vat
    assert after.total_cost.incl_vat >= before.total_cost.incl_vat


@PROPERTY_SETTINGS
@given(
    st.one_of(tariffs(power=False, kwh=False), single_price_tariffs()),
    sessions(),
    st.integers(0, 5),
    st.integers(1, 20_000),
    st.sampled_from(["ENERGY", "TIME", "PARKING_TIME"]),
)
def test_more_energy_or_time_in_a_period_never_lowers_the_total(
    tariff: Tariff, session: dict[str, Any], index: int, more: int, kind: str
) -> None:
    session = whole_seconds(session)
    before = total(tariff, session)
    period = session["charging_periods"][index % len(session["charging_periods"])]
    for dimension in period["dimensions"]:
        if dimension["type"] == kind:
            unit = D(1000) if kind == "ENERGY" else D(3600)
            dimension["volume"] = str(D(dimension["volume"]) + D(more) / unit)
    after = total(tariff, session)
    assert after.total_cost.excl_vat >= before.total_cost.excl_vat
    assert after.total_cost.incl_vat >= before.total_cost.incl_vat


def _same_components(tariff: Tariff, session: dict[str, Any], index: int, split_at: datetime, energy: Decimal) -> bool:
    """Whether the split moment selects the same component per dimension as the period's start."""
    compiled = CompiledTariff(tariff, ZoneInfo(session["time_zone"]))
    periods = session["charging_periods"]
    first = datetime.fromisoformat(periods[0]["start_date_time"])
    before = sum((D(_volume(p, "ENERGY")) for p in periods[:index]), D(0))
    start = datetime.fromisoformat(periods[index]["start_date_time"])
    power = D(_volume(periods[index], "POWER"))
    for moment_at, energy_so_far in ((start, before), (split_at, before + energy)):
        moment = Moment(moment_at.astimezone(compiled.tz), moment_at - first, energy_so_far, power, power)
        found = tuple(compiled.find(compiled.regular[d], moment) for d in TariffDimensionType)
        if moment_at == start:
            reference = found
        elif found != reference:
            return False
    return True


def _volume(period: dict[str, Any], kind: str) -> str:
    for dimension in period["dimensions"]:
        if dimension["type"] == kind:
            return str(dimension["volume"])
    return "0"


@PROPERTY_SETTINGS
@given(st.one_of(tariffs(), single_price_tariffs()), sessions(whole=False), st.integers(0, 5), st.integers(1, 99))
def test_splitting_a_period_inside_one_window_keeps_the_total(
    tariff: Tariff, session: dict[str, Any], index: int, percent: int
) -> None:
    periods = session["charging_periods"]
    index %= len(periods)
    start = datetime.fromisoformat(periods[index]["start_date_time"])
    end = (
        datetime.fromisoformat(periods[index + 1]["start_date_time"])
        if index + 1 < len(periods)
        else datetime.fromisoformat(session["end_date_time"])
    )
    split_at = start + (end - start) * percent // 100
    assume(start < split_at < end)
    share = D(percent) / 100
    first_dimensions: list[dict[str, str]] = []
    second_dimensions: list[dict[str, str]] = []
    for dimension in periods[index]["dimensions"]:
        volume = D(dimension["volume"])
        if dimension["type"] == "POWER":
            part = volume
            rest = volume
        else:
            part = volume * share
            rest = volume - part
        first_dimensions.append({"type": dimension["type"], "volume": str(part)})
        second_dimensions.append({"type": dimension["type"], "volume": str(rest)})
    first = {"start_date_time": periods[index]["start_date_time"], "dimensions": first_dimensions}
    second = {"start_date_time": split_at.isoformat(), "dimensions": second_dimensions}
    energy_part = D(_volume(first, "ENERGY"))
    assume(_same_components(tariff, session, index, split_at, energy_part))
    split = dict(session, charging_periods=[*periods[:index], first, second, *periods[index + 1 :]])
    whole_total, split_total = total(tariff, session), total(tariff, split)
    assert abs(whole_total.total_cost.excl_vat - split_total.total_cost.excl_vat) < TINY
    assert abs(whole_total.total_cost.incl_vat - split_total.total_cost.incl_vat) < TINY


@st.composite
def sample_runs(draw: st.DrawFn) -> list[MeterSample]:
    at = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=draw(st.integers(0, 366 * 24 * 60)))
    energy = D(draw(st.integers(0, 100_000)))
    samples = []
    for _ in range(draw(st.integers(1, 40))):
        state = draw(st.sampled_from(list(ConnectorState)))
        power = D(draw(st.sampled_from([0, 3700, 11000, 22000, 50000]))) if state is ConnectorState.CHARGING else D(0)
        samples.append(MeterSample(at, energy, power, state))
        at += timedelta(seconds=draw(st.integers(0, 3600)))
        if power:
            energy += D(draw(st.integers(0, 20_000)))
    return samples


@PROPERTY_SETTINGS
@given(st.one_of(tariffs(), single_price_tariffs()), sample_runs(), st.sampled_from(ZONES))
def test_live_meter_total_equals_the_cdr_total(tariff: Tariff, samples: list[MeterSample], zone: str) -> None:
    meter = LiveMeter(tariff, zone)
    for sample in samples:
        meter.add(sample)
    shown = meter.totals()
    final = price_samples(tariff, samples, zone)
    assert shown == final
    # The same session as an OCPI CDR document, through the `voltway price` path: times are written in hours,
    # which for a general number of seconds has no finite decimal form, hence the tolerance.
    if len(samples) < 2 or samples[-1].timestamp == samples[0].timestamp:
        return  # no charging period yet: not a CDR
    session = meter.cdr_session(zone)
    cdr = json.loads(
        price_cdr_document(
            msgspec.json.encode(tariff),
            msgspec.json.encode(session),
        )
    )
    assert abs(D(cdr["total_cost"]["excl_vat"]) - shown.total_cost.excl_vat) < TINY
    assert abs(D(cdr["total_cost"]["incl_vat"]) - shown.total_cost.incl_vat) < TINY
    assert abs(D(cdr["total_energy"]) - shown.total_energy) < TINY
