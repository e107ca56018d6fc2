"""Live meter: splitting at tariff boundaries, idle fee, and input checks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from pricing.errors import PricingInputError
from pricing.idle_fee import IdleFee
from pricing.live_meter import ConnectorState, LiveMeter, MeterSample, price_samples
from pricing.tariff import Tariff, decode_tariff

D = Decimal
START = datetime(2024, 1, 15, 16, 0, tzinfo=UTC)
CHARGING, SUSPENDED = ConnectorState.CHARGING, ConnectorState.SUSPENDED


def tariff(*elements: dict[str, object], **extra: object) -> Tariff:
    return decode_tariff(json.dumps({"id": "x", "currency": "EUR", "elements": list(elements), **extra}))


def sample(minutes: float, wh: int, state: ConnectorState = CHARGING, power: int = 11000) -> MeterSample:
    return MeterSample(START + timedelta(minutes=minutes), D(wh), D(power), state)


def test_interval_crossing_a_time_boundary_is_split_with_energy_pro_rata() -> None:
    peak = tariff(
        {
            "price_components": [{"type": "ENERGY", "price": "0.20", "step_size": 1}],
            "restrictions": {"end_time": "17:00"},
        },
        {"price_components": [{"type": "ENERGY", "price": "0.40", "step_size": 1}]},
    )
    meter = LiveMeter(peak, "UTC")
    meter.add(sample(30, 0))
    meter.add(sample(90, 12000))  # 16:30 -> 17:30, 12 kWh: 6 kWh before 17:00, 6 after
    totals = meter.totals()
    assert totals.total_energy_cost.excl_vat == D("3.60")
    assert [p.start_date_time for p in meter.charging_periods()] == [
        START + timedelta(minutes=30),
        START + timedelta(hours=1),
    ]


def test_interval_crossing_a_kwh_threshold_is_split_at_the_threshold() -> None:
    bands = tariff(
        {"price_components": [{"type": "ENERGY", "price": "0.50", "step_size": 1}], "restrictions": {"max_kwh": "10"}},
        {"price_components": [{"type": "ENERGY", "price": "0.30", "step_size": 1}]},
    )
    totals = price_samples(bands, [sample(0, 0), sample(60, 15000)])
    assert totals.total_energy_cost.excl_vat == D("6.50")  # 10 kWh at 0.50 + 5 kWh at 0.30


def test_idle_fee_after_grace_period_with_cap() -> None:
    energy_only = tariff({"price_components": [{"type": "ENERGY", "price": "0.50", "step_size": 1, "vat": "20"}]})
    fee = IdleFee(price_per_minute=D("0.40"), grace_minutes=15, cap=D("10"), vat=D("20"))
    meter = LiveMeter(energy_only, "Europe/Berlin", fee)
    meter.add(sample(0, 0))
    meter.add(sample(60, 20000, SUSPENDED, 0))  # charged 20 kWh, then the car is full
    meter.add(sample(100, 20000, SUSPENDED, 0))  # 40 min idle: 25 min after grace
    totals = meter.totals()
    assert totals.total_energy_cost.excl_vat == D("10")
    assert totals.total_parking_cost.excl_vat == D("10.00")  # 25 * 0.40 = 10.00, exactly at the cap
    meter.add(sample(200, 20000, SUSPENDED, 0))
    capped = meter.totals()
    assert capped.total_parking_cost == totals.total_parking_cost
    assert capped.total_cost.incl_vat == D("24")
    assert abs(capped.total_parking_time - D(140) / 60) < D("1e-20")


def test_idle_before_charging_starts_is_free_and_energy_flat_counts_as_idle() -> None:
    energy_only = tariff({"price_components": [{"type": "ENERGY", "price": "0.50", "step_size": 1}]})
    fee = IdleFee(price_per_minute=D("1"), grace_minutes=5)
    totals = price_samples(
        energy_only,
        [
            sample(0, 0, SUSPENDED, 0),
            sample(30, 0, CHARGING, 0),  # waiting for the car: free
            sample(40, 0, CHARGING, 7000),  # charging state, but energy flat for 10 min: idle
            sample(50, 1000, CHARGING, 0),
        ],
        idle_fee=fee,
    )
    assert totals.total_parking_cost.excl_vat == D(0)  # no charge yet before minute 40
    totals = price_samples(
        energy_only,
        [sample(0, 0), sample(10, 1000, CHARGING, 0), sample(30, 1000, CHARGING, 0)],
        idle_fee=fee,
    )
    assert totals.total_parking_cost.excl_vat == D(15)  # 20 min flat, 5 free


def test_bad_samples_are_rejected() -> None:
    meter = LiveMeter(tariff({"price_components": [{"type": "FLAT", "price": "1", "step_size": 0}]}))
    with pytest.raises(PricingInputError, match="no sample yet"):
        meter.totals()
    meter.add(sample(10, 500))
    with pytest.raises(PricingInputError, match=r"^timestamp: "):
        meter.add(sample(5, 600))
    with pytest.raises(PricingInputError, match=r"^energy_wh: the energy register went down"):
        meter.add(sample(20, 100))
    with pytest.raises(PricingInputError, match=r"^timestamp: must carry a time zone"):
        meter.add(MeterSample(datetime(2024, 1, 1), D(0), D(0), CHARGING))
    assert meter.sample_count == 1
