"""Quotes: the expected cost of a session before it starts, for the app's "what will this cost" line and for
sizing the payment hold."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from decimal import Decimal, localcontext
from zoneinfo import ZoneInfo

import msgspec

from pricing.costing import CdrTotals
from pricing.errors import PricingInputError
from pricing.idle_fee import IdleFee
from pricing.live_meter import ConnectorState, LiveMeter, MeterSample
from pricing.money import MONEY_CONTEXT, ZERO, round_half_up_to_minor_unit, round_up_to_minor_unit
from pricing.tariff import Tariff

__all__ = ["Quote", "example_charging_time", "example_quote", "quote"]

_WH_PER_KWH = Decimal(1000)
_SECONDS_PER_HOUR = Decimal(3600)


class Quote(msgspec.Struct, frozen=True):
    """Expected cost breakdown; `amount_due` is what the driver would pay, `hold_amount` never falls short of it."""

    totals: CdrTotals
    energy_kwh: Decimal
    charging_time: timedelta
    amount_due: Decimal
    hold_amount: Decimal


def quote(
    tariff: Tariff,
    *,
    energy_kwh: Decimal,
    duration: timedelta,
    power_kw: Decimal,
    start: datetime,
    time_zone: ZoneInfo | str | None = None,
    idle_fee: IdleFee | None = None,
) -> Quote:
    """Price a session that charges `energy_kwh` at a constant `power_kw` from `start` and stays plugged in for
    `duration`, so the driver sees the cost before starting; energy is capped at what the power delivers in time."""
    if not power_kw.is_finite() or power_kw <= 0:
        raise PricingInputError("power_kw", "must be a positive number")
    if not energy_kwh.is_finite() or energy_kwh < 0:
        raise PricingInputError("energy_kwh", "must be a number that is not negative")
    if duration < timedelta(0):
        raise PricingInputError("duration", "must not be negative")
    if start.tzinfo is None:
        raise PricingInputError("start", "must carry a time zone")
    with localcontext(MONEY_CONTEXT):
        needed = timedelta(microseconds=int(energy_kwh / power_kw * _SECONDS_PER_HOUR * 1_000_000))
        charging_time = min(needed, duration)
        delivered = (
            energy_kwh if needed <= duration else power_kw * Decimal(duration.total_seconds()) / _SECONDS_PER_HOUR
        )
        watts = power_kw * _WH_PER_KWH
        meter = LiveMeter(tariff, time_zone, idle_fee)
        meter.add(MeterSample(start, ZERO, watts, ConnectorState.CHARGING))
        meter.add(MeterSample(start + charging_time, delivered * _WH_PER_KWH, ZERO, ConnectorState.SUSPENDED))
        if duration > charging_time:
            meter.add(MeterSample(start + duration, delivered * _WH_PER_KWH, ZERO, ConnectorState.SUSPENDED))
        totals = meter.totals()
    due = round_half_up_to_minor_unit(totals.total_cost.incl_vat, tariff.currency)
    return Quote(
        totals=totals,
        energy_kwh=delivered,
        charging_time=charging_time,
        amount_due=due,
        hold_amount=round_up_to_minor_unit(totals.total_cost.incl_vat, tariff.currency),
    )


def example_charging_time(energy_kwh: Decimal, power_kw: Decimal) -> timedelta:
    """How long an example charges `energy_kwh` at up to `power_kw`: the time at that power, rounded up to whole
    minutes (at least one)."""
    with localcontext(MONEY_CONTEXT):
        return timedelta(minutes=max(1, math.ceil(energy_kwh * 60 / power_kw)))


def example_quote(
    tariff: Tariff,
    *,
    energy_kwh: Decimal,
    power_kw: Decimal,
    start: datetime,
    time_zone: ZoneInfo | str | None = None,
    idle_fee: IdleFee | None = None,
) -> Quote:
    """The example a driver reads before starting: exactly `energy_kwh` charged in whole minutes at up to
    `power_kw` (the time it takes at that power, rounded up to the minute), unplugged as charging ends.

    Energy, time and cost agree with each other: the cost is what the engine bills for a session that charges
    `energy_kwh` over `charging_time` from `start`."""
    if not power_kw.is_finite() or power_kw <= 0:
        raise PricingInputError("power_kw", "must be a positive number")
    if not energy_kwh.is_finite() or energy_kwh <= 0:
        raise PricingInputError("energy_kwh", "must be a positive number")
    if start.tzinfo is None:
        raise PricingInputError("start", "must carry a time zone")
    charging_time = example_charging_time(energy_kwh, power_kw)
    with localcontext(MONEY_CONTEXT):
        # the mean power over the example, at most `power_kw`
        watts = energy_kwh * _WH_PER_KWH * _SECONDS_PER_HOUR / Decimal(int(charging_time.total_seconds()))
        meter = LiveMeter(tariff, time_zone, idle_fee)
        meter.add(MeterSample(start, ZERO, watts, ConnectorState.CHARGING))
        meter.add(MeterSample(start + charging_time, energy_kwh * _WH_PER_KWH, ZERO, ConnectorState.SUSPENDED))
        totals = meter.totals()
    return Quote(
        totals=totals,
        energy_kwh=energy_kwh,
        charging_time=charging_time,
        amount_due=round_half_up_to_minor_unit(totals.total_cost.incl_vat, tariff.currency),
        hold_amount=round_up_to_minor_unit(totals.total_cost.incl_vat, tariff.currency),
    )
