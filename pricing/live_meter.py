"""Live cost of a running session from meter samples, in O(1) amortised time per sample.

Between two samples the connector is in the state of the earlier sample; the interval counts as charging time
when that state is `charging` and energy flowed (or power was drawn), else as parking time. An interval that
crosses a moment where a tariff restriction may change (a time-of-day/date/weekday boundary in the location's
zone, a duration or a kWh threshold) is split there, with energy interpolated linearly in time, as OCPI asks of
a CPO. The pieces are priced by the same `CostAccumulator` as a CDR, so the final CDR equals the last live value.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal, getcontext, localcontext, setcontext
from zoneinfo import ZoneInfo

import msgspec

from pricing.costing import CdrTotals, CostAccumulator
from pricing.errors import PricingInputError
from pricing.idle_fee import IdleFee
from pricing.money import MONEY_CONTEXT, ZERO
from pricing.session import CdrDimension, CdrDimensionType, CdrSession, ChargingPeriod, load_time_zone
from pricing.tariff import Tariff

__all__ = ["ConnectorState", "LiveMeter", "MeterSample", "price_samples"]

_WH_PER_KWH = Decimal(1000)
_W_PER_KW = Decimal(1000)
_US_PER_S = Decimal(1_000_000)
_SECONDS_PER_HOUR = Decimal(3600)
_MICROSECOND = timedelta(microseconds=1)


class ConnectorState(enum.Enum):
    """What the connector reports: energy flowing, paused by the car or charger, or plugged in and idle."""

    CHARGING = "charging"
    SUSPENDED = "suspended"
    IDLE = "idle"


class MeterSample(msgspec.Struct, frozen=True):
    """One meter reading: when, the energy register (Wh), the power (W) and the connector state."""

    timestamp: datetime
    energy_wh: Decimal
    power_w: Decimal
    state: ConnectorState


# One priced stretch of the session: start, seconds, energy (kWh), power (kW), charging.
_Piece = tuple[datetime, Decimal, Decimal, Decimal, bool]


class LiveMeter:
    """Running cost breakdown of one session; feed samples with `add`, read `totals()` at any moment."""

    def __init__(
        self,
        tariff: Tariff,
        time_zone: ZoneInfo | str | None = None,
        idle_fee: IdleFee | None = None,
        *,
        keep_periods: bool = True,
    ) -> None:
        """`keep_periods=False` keeps only the running totals (no `charging_periods`), so a long session's
        meter stays small."""
        tz = time_zone if isinstance(time_zone, ZoneInfo) else load_time_zone(time_zone)
        self._accumulator = CostAccumulator(tariff, tz, idle_fee)
        self._compiled = self._accumulator.compiled
        self._context = MONEY_CONTEXT.copy()
        self._pieces: list[_Piece] = []
        self._keep_periods = keep_periods
        self._first: MeterSample | None = None
        self._last: MeterSample | None = None
        self._next_time_cut: datetime | None = None
        self._duration_index = 0
        self._next_duration_cut: datetime | None = None
        self._energy_index = 0
        self._count = 0
        self._last_interval = (timedelta(0), ZERO)  # the last interval between samples, and in seconds

    @property
    def sample_count(self) -> int:
        """Number of samples accepted so far."""
        return self._count

    def add(self, sample: MeterSample) -> None:
        """Take the next sample (in time order); the cost up to its timestamp is then known."""
        timestamp = sample.timestamp
        if timestamp.tzinfo is None:
            raise PricingInputError("timestamp", "must carry a time zone (UTC inside)")
        if not sample.energy_wh.is_finite() or not sample.power_w.is_finite():
            raise PricingInputError("energy_wh", "energy and power must be finite numbers")
        last = self._last
        if last is None:
            self._first = self._last = sample
            self._count = 1
            self._next_time_cut = self._compiled.next_time_boundary(timestamp)
            marks = self._compiled.duration_marks
            if marks:
                try:
                    self._next_duration_cut = timestamp + marks[0]
                except OverflowError:
                    self._next_duration_cut = timestamp  # let `_cuts` find out
            return
        if timestamp < last.timestamp:
            raise PricingInputError("timestamp", f"sample at {timestamp.isoformat()} is older than the last one")
        if sample.energy_wh < last.energy_wh:
            raise PricingInputError("energy_wh", "the energy register went down")
        previous = getcontext()
        setcontext(self._context)
        try:
            self._add_interval(last, sample)
        finally:
            setcontext(previous)
        self._last = sample
        self._count += 1

    def _add_interval(self, last: MeterSample, sample: MeterSample) -> None:
        t0, t1 = last.timestamp, sample.timestamp
        if t1 == t0:
            return
        delta = (sample.energy_wh - last.energy_wh) / _WH_PER_KWH
        power = last.power_w / _W_PER_KW
        charging = last.state is ConnectorState.CHARGING and (delta > ZERO or power > ZERO)
        time_cut, duration_cut = self._next_time_cut, self._next_duration_cut
        if (
            (time_cut is None or time_cut >= t1)
            and (duration_cut is None or duration_cut >= t1)
            and (not self._compiled.energy_marks or not delta > ZERO)
        ):  # nothing to cut at: one piece, as `_piece`
            interval = t1 - t0
            last_interval = self._last_interval
            if interval == last_interval[0]:  # samples usually come at a fixed interval
                seconds = last_interval[1]
            else:
                seconds = Decimal(interval // _MICROSECOND) / _US_PER_S
                self._last_interval = (interval, seconds)
            if self._keep_periods:
                self._pieces.append((t0, seconds, delta, power, charging))
            if charging:
                self._accumulator.add_values(t0, delta, seconds, ZERO, power, power)
            else:
                self._accumulator.add_values(t0, delta, ZERO, seconds, power, power)
            return
        cuts = self._cuts(t0, t1, delta)
        if not cuts:
            self._piece(t0, t1, delta, power, charging)
            return
        span = (t1 - t0) // _MICROSECOND
        start, used = t0, ZERO
        for instant, energy_at in cuts:
            if energy_at is None:
                energy_at = delta * Decimal((instant - t0) // _MICROSECOND) / Decimal(span)
            energy_at = min(max(energy_at, used), delta)
            self._piece(start, instant, energy_at - used, power, charging)
            start, used = instant, energy_at
        self._piece(start, t1, delta - used, power, charging)

    def _cuts(self, t0: datetime, t1: datetime, delta: Decimal) -> list[tuple[datetime, Decimal | None]]:
        """Instants strictly inside (t0, t1) where a restriction may change, with the energy there when known."""
        compiled = self._compiled
        cuts: list[tuple[datetime, Decimal | None]] = []
        cut = self._next_time_cut
        while cut is not None and cut < t1:
            if cut > t0:
                cuts.append((cut, None))
            cut = compiled.next_time_boundary(cut)
        self._next_time_cut = cut
        marks = compiled.duration_marks
        if marks:
            assert self._first is not None
            origin = self._first.timestamp
            while self._duration_index < len(marks) and origin + marks[self._duration_index] < t1:
                at = origin + marks[self._duration_index]
                if at > t0:
                    cuts.append((at, None))
                self._duration_index += 1
            index = self._duration_index
            self._next_duration_cut = origin + marks[index] if index < len(marks) else None
        levels = compiled.energy_marks
        if levels and delta > 0:
            before = self._accumulator.energy_kwh
            after = before + delta
            span = Decimal((t1 - t0) // _MICROSECOND)
            while self._energy_index < len(levels) and levels[self._energy_index] < after:
                level = levels[self._energy_index]
                if level > before:
                    offset = int((level - before) / delta * span)
                    at = t0 + timedelta(microseconds=offset)
                    if t0 < at < t1:
                        cuts.append((at, level - before))
                self._energy_index += 1
        if len(cuts) > 1:
            cuts.sort(key=lambda cut: cut[0])
        return cuts

    def _piece(self, start: datetime, end: datetime, energy: Decimal, power: Decimal, charging: bool) -> None:
        seconds = Decimal((end - start) // _MICROSECOND) / _US_PER_S
        if self._keep_periods:
            self._pieces.append((start, seconds, energy, power, charging))
        if charging:
            self._accumulator.add_values(start, energy, seconds, ZERO, power, power)
        else:
            self._accumulator.add_values(start, energy, ZERO, seconds, power, power)

    def totals(self) -> CdrTotals:
        """Cost breakdown as if the session ended at the last sample (step_size and min/max price applied)."""
        if self._first is None or self._last is None:
            raise PricingInputError("samples", "no sample yet")
        return self._accumulator.totals(self._first.timestamp, self._last.timestamp)

    def charging_periods(self) -> list[ChargingPeriod]:
        """The session so far as OCPI charging periods (energy kWh, TIME or PARKING_TIME hours, POWER kW)."""
        if not self._keep_periods:
            raise PricingInputError("keep_periods", "this meter keeps only totals")
        periods = []
        with localcontext(MONEY_CONTEXT):
            for start, seconds, energy, power, charging in self._pieces:
                kind = CdrDimensionType.TIME if charging else CdrDimensionType.PARKING_TIME
                periods.append(
                    ChargingPeriod(
                        start_date_time=start,
                        dimensions=(
                            CdrDimension(CdrDimensionType.ENERGY, energy),
                            CdrDimension(kind, seconds / _SECONDS_PER_HOUR),
                            CdrDimension(CdrDimensionType.POWER, power),
                        ),
                    )
                )
        return periods

    def cdr_session(self, time_zone: str | None = None) -> CdrSession:
        """The session so far in the OCPI CDR shape `price_session` and `voltway price` take."""
        if self._first is None or self._last is None:
            raise PricingInputError("samples", "no sample yet")
        return CdrSession(
            start_date_time=self._first.timestamp,
            end_date_time=self._last.timestamp,
            charging_periods=tuple(self.charging_periods()),
            time_zone=time_zone,
        )


def price_samples(
    tariff: Tariff,
    samples: Iterable[MeterSample],
    time_zone: ZoneInfo | str | None = None,
    idle_fee: IdleFee | None = None,
) -> CdrTotals:
    """Final cost of a session from its meter samples: exactly what a `LiveMeter` shows after the last one."""
    meter = LiveMeter(tariff, time_zone, idle_fee)
    for sample in samples:
        meter.add(sample)
    return meter.totals()
