"""The session meter: the same readings give the same cost live, after a replay, and rebuilt after a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from api.domain.sessions.metering import SessionMeter
from pricing.idle_fee import IdleFee
from pricing.tariff import decode_tariff

TARIFF = decode_tariff(
    b'{"id": "T", "currency": "EUR", "last_updated": "2026-01-01T00:00:00Z", "elements": [{"price_components": '
    b'[{"type": "ENERGY", "price": "0.30", "vat": "20", "step_size": 1}, '
    b'{"type": "TIME", "price": "2.00", "vat": "20", "step_size": 60}]}]}'
)
START = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def readings() -> list[tuple[datetime, float | None, float | None]]:
    """Twenty minutes at 11 kW, then ten minutes full (no power)."""
    out: list[tuple[datetime, float | None, float | None]] = []
    register = 1_000_000.0
    for minute in range(1, 31):
        charging = minute <= 20
        register += 11_000 / 60 if charging else 0.0
        out.append((START + timedelta(minutes=minute), register, 11_000.0 if charging else 0.0))
    return out


def fed(samples: list[tuple[datetime, float | None, float | None]], idle: IdleFee | None = None) -> SessionMeter:
    meter = SessionMeter(TARIFF, "Europe/Berlin", idle)
    meter.start(START, 1_000_000.0)
    for at, energy, power in samples:
        meter.add(at, energy, power)
    return meter


def test_energy_and_cost_follow_the_readings() -> None:
    meter = fed(readings())
    totals = meter.totals()
    assert totals is not None
    assert round(meter.energy_wh) == round(20 * 11_000 / 60)
    assert totals.total_time == Decimal("0.5")  # the whole session, as OCPI counts it
    # the minute after the last reading with power still counts as charging; the nine after it are idle
    assert totals.total_parking_time == Decimal("0.15")
    assert totals.amount_due == Decimal("2.16")  # 3.667 kWh at 0.36 + 21 minutes at 2.40/h


def test_replays_and_late_readings_change_nothing() -> None:
    samples = readings()
    replayed = samples[:10] + samples[5:8] + samples[10:]
    assert fed(replayed).totals() == fed(samples).totals()


def test_a_register_that_goes_backwards_never_lowers_the_energy() -> None:
    samples = readings()
    glitch = [*samples[:5], (samples[5][0], 10.0, 11_000.0), *samples[6:]]
    assert fed(glitch).energy_wh == fed(samples).energy_wh


def test_power_only_readings_carry_the_register_forward() -> None:
    samples = [(at, None if n % 2 else energy, power) for n, (at, energy, power) in enumerate(readings())]
    meter = fed(samples)
    assert meter.totals() is not None
    assert meter.energy_wh > 0


def test_idle_fee_counts_the_idle_minutes_after_the_grace_period() -> None:
    with_fee = fed(readings(), IdleFee(price_per_minute=Decimal("0.50"), grace_minutes=5)).totals()
    without = fed(readings()).totals()
    assert with_fee is not None
    assert without is not None
    assert with_fee.total_parking_cost.excl_vat - without.total_parking_cost.excl_vat == Decimal(
        "2.00"
    )  # 9 - 5 minutes


def test_a_free_connector_has_no_cost() -> None:
    meter = SessionMeter(None, "UTC", None)
    meter.start(START, 0.0)
    meter.add(START + timedelta(minutes=1), 200.0, 12_000.0)
    assert meter.totals() is None
    assert meter.energy_wh == 200.0


def test_a_first_reading_right_after_the_start_is_charging_not_idle() -> None:
    meter = SessionMeter(TARIFF, "Europe/Berlin", IdleFee(price_per_minute=Decimal("0.10"), grace_minutes=0))
    meter.start(START, 1_000_000.0)
    assert meter.totals() is not None  # the start alone already has a (zero) cost
    meter.add(START + timedelta(seconds=1), 1_000_000.0, 11_000.0)  # no energy yet, 11 kW drawn
    meter.add(START + timedelta(seconds=11), 1_000_000.0 + 11_000 / 360, 11_000.0)
    totals = meter.totals()
    assert totals is not None
    assert totals.total_parking_time == 0
    assert abs(totals.total_time * 3600 - 11) < Decimal("1e-9")  # all 11 seconds charging
