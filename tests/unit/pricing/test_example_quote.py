"""The example under a quote ("20 kWh in 1 h 50 min: 9.44 EUR") states its energy and time, and its cost is what
the engine bills for a session of exactly that energy over exactly that time."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from pricing.costing import price_session
from pricing.errors import PricingInputError
from pricing.quote import example_quote
from pricing.session import decode_session
from pricing.tariff import Tariff, decode_tariff

D = Decimal
START = datetime(2025, 3, 14, 17, 20, tzinfo=UTC)  # 18:20 in Amsterdam
PEAK_ENDS = datetime(2025, 3, 14, 19, 0, tzinfo=UTC)

ENERGY = {"type": "ENERGY", "price": "0.39", "vat": "21", "step_size": 1}
TIME = {"type": "TIME", "price": "2.40", "vat": "21", "step_size": 60}
FLAT = {"type": "FLAT", "price": "0.50", "vat": "21", "step_size": 0}

TARIFFS: dict[str, list[dict[str, Any]]] = {
    "energy": [{"price_components": [ENERGY]}],
    "energy+time": [{"price_components": [ENERGY, TIME]}],
    "flat": [{"price_components": [FLAT]}],
    "energy+flat, dearer at peak": [
        {"price_components": [FLAT]},
        {
            "price_components": [{**ENERGY, "price": "0.59"}],
            "restrictions": {"start_time": "18:00", "end_time": "20:00"},
        },
        {"price_components": [ENERGY]},
    ],
}


def tariff(elements: list[dict[str, Any]]) -> Tariff:
    return decode_tariff(json.dumps({"id": "t", "currency": "EUR", "elements": elements}))


def billed(tariff: Tariff, energy_kwh: Decimal, charging: timedelta) -> Decimal:
    """What the engine bills for a CDR that charged `energy_kwh` evenly over `charging` from START, its periods
    split where the peak ends (20:00 in Amsterdam), as a CPO splits them."""
    end = START + charging
    moments = [START, *(m for m in [PEAK_ENDS] if START < m < end), end]
    total = D(int(charging.total_seconds()))
    periods = []
    for begin, until in itertools.pairwise(moments):
        seconds = D(int((until - begin).total_seconds()))
        periods.append(
            {
                "start_date_time": begin.isoformat(),
                "dimensions": [
                    {"type": "ENERGY", "volume": str(energy_kwh * seconds / total)},
                    {"type": "TIME", "volume": str(seconds / 3600)},
                ],
            }
        )
    cdr = {
        "start_date_time": START.isoformat(),
        "end_date_time": end.isoformat(),
        "time_zone": "Europe/Amsterdam",
        "charging_periods": periods,
    }
    return price_session(tariff, decode_session(json.dumps(cdr))).amount_due


@pytest.mark.parametrize("name", list(TARIFFS))
@pytest.mark.parametrize(
    ("power_kw", "minutes"), [(D(11), 110), (D(22), 55), (D("3.7"), 325), (D(50), 24), (D(350), 4)]
)
def test_the_example_costs_what_its_energy_and_time_are_billed(name: str, power_kw: Decimal, minutes: int) -> None:
    example = example_quote(
        tariff(TARIFFS[name]), energy_kwh=D(20), power_kw=power_kw, start=START, time_zone="Europe/Amsterdam"
    )
    assert example.energy_kwh == 20  # never cut down to what one hour at the connector's power gives
    assert example.charging_time == timedelta(minutes=minutes)  # 20 kWh at that power, rounded up to the minute
    assert D(20) / (D(minutes) / 60) <= power_kw  # never faster than the connector allows
    assert example.amount_due == billed(tariff(TARIFFS[name]), D(20), example.charging_time)


def test_the_example_on_an_11_kw_socket_at_0_39_plus_vat() -> None:
    example = example_quote(tariff(TARIFFS["energy"]), energy_kwh=D(20), power_kw=D(11), start=START)
    assert (example.energy_kwh, example.charging_time, example.amount_due) == (D(20), timedelta(minutes=110), D("9.44"))


def test_an_example_without_power_is_refused() -> None:
    with pytest.raises(PricingInputError) as caught:
        example_quote(tariff(TARIFFS["energy"]), energy_kwh=D(20), power_kw=D(0), start=START)
    assert caught.value.field == "power_kw"
