"""CDR costing: OCPI charging periods priced with a tariff into the CDR cost fields.

How every cent comes about:

* each period is priced at its start: per dimension the first matching element's component, `volume * price`,
  VAT per component;
* `step_size` is applied once per session: once for ENERGY, using the component of the last period that billed
  energy, and once for TIME and PARKING_TIME together, on the dimension of the last period that billed time
  (so charging time followed by parking is not rounded, the parking total is). The extra volume is billed at the
  price of that last component. Reservation time is rounded on its own;
* FLAT is billed once: the first period where a FLAT component applies; a reservation's FLAT is reservation cost;
* `min_price` / `max_price` bound the total excluding VAT and the total including VAT independently;
* an optional idle fee (not OCPI) is added to the parking cost after min/max, bounded by its own cap.

`CostAccumulator` keeps running sums so the totals are available after every period in O(1); the final CDR and
the live meter both use it, so they cannot disagree.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, localcontext
from zoneinfo import ZoneInfo

import msgspec

from pricing.idle_fee import IdleFee
from pricing.money import MONEY_CONTEXT, ZERO, add_vat, round_half_up_to_minor_unit
from pricing.restrictions import CompiledTariff, Moment
from pricing.session import CdrDimensionType, CdrSession, ChargingPeriod, load_time_zone
from pricing.tariff import PriceComponent, Tariff, TariffDimensionType

__all__ = ["CdrTotals", "CostAccumulator", "Money", "PeriodValues", "price_session"]

_SECONDS_PER_HOUR = Decimal(3600)
_SECONDS_PER_MINUTE = Decimal(60)
_HUNDRED = Decimal(100)
_WH_PER_KWH = Decimal(1000)
_MICROSECONDS_PER_HOUR = Decimal(3_600_000_000)
_STEP_RESOLUTION = Decimal("0.000001")

_ENERGY = TariffDimensionType.ENERGY
_FLAT = TariffDimensionType.FLAT
_TIME = TariffDimensionType.TIME
_PARKING = TariffDimensionType.PARKING_TIME


class Money(msgspec.Struct, frozen=True):
    """A cost excluding and including VAT, at full precision."""

    excl_vat: Decimal
    incl_vat: Decimal


_NO_MONEY = Money(ZERO, ZERO)


class CdrTotals(msgspec.Struct, frozen=True):
    """The cost fields of an OCPI CDR, plus `amount_due`: the incl-VAT total rounded for payment."""

    total_cost: Money
    total_fixed_cost: Money
    total_energy_cost: Money
    total_time_cost: Money
    total_parking_cost: Money
    total_reservation_cost: Money
    total_energy: Decimal
    total_time: Decimal
    total_parking_time: Decimal
    currency: str
    amount_due: Decimal


class PeriodValues:
    """One period as the accumulator needs it: energy in kWh, times in seconds, power (kW) and current (A) bounds.

    Times are kept in seconds so that costs are summed exactly and divided by 3600 once, in `totals()`.
    """

    __slots__ = (
        "current_max",
        "current_min",
        "energy",
        "parking",
        "power_max",
        "power_min",
        "reservation",
        "start",
        "time",
    )

    def __init__(
        self,
        start: datetime,
        *,
        energy: Decimal = ZERO,
        time: Decimal = ZERO,
        parking: Decimal = ZERO,
        reservation: Decimal | None = None,
        power_min: Decimal | None = None,
        power_max: Decimal | None = None,
        current_min: Decimal | None = None,
        current_max: Decimal | None = None,
    ) -> None:
        self.start = start
        self.energy = energy
        self.time = time
        self.parking = parking
        self.reservation = reservation
        self.power_min = power_min
        self.power_max = power_max
        self.current_min = current_min
        self.current_max = current_max

    @classmethod
    def from_charging_period(cls, period: ChargingPeriod, end: datetime) -> PeriodValues:
        """Read an OCPI charging period; power falls back to energy / duration when no power is given."""
        energy = time = parking = ZERO
        reservation: Decimal | None = None
        power = power_min = power_max = current = current_min = current_max = None
        for dimension in period.dimensions:
            kind = dimension.type
            volume = dimension.volume
            if kind is CdrDimensionType.ENERGY:
                energy = volume
            elif kind is CdrDimensionType.TIME:
                time = volume * _SECONDS_PER_HOUR
            elif kind is CdrDimensionType.PARKING_TIME:
                parking = volume * _SECONDS_PER_HOUR
            elif kind is CdrDimensionType.RESERVATION_TIME:
                reservation = volume * _SECONDS_PER_HOUR
            elif kind is CdrDimensionType.POWER:
                power = volume
            elif kind is CdrDimensionType.MIN_POWER:
                power_min = volume
            elif kind is CdrDimensionType.MAX_POWER:
                power_max = volume
            elif kind is CdrDimensionType.CURRENT:
                current = volume
            elif kind is CdrDimensionType.MIN_CURRENT:
                current_min = volume
            elif kind is CdrDimensionType.MAX_CURRENT:
                current_max = volume
        if power is None and power_min is None and power_max is None and energy > 0 and end > period.start_date_time:
            hours = Decimal((end - period.start_date_time) // timedelta(microseconds=1)) / _MICROSECONDS_PER_HOUR
            power = energy / hours
        return cls(
            period.start_date_time,
            energy=energy,
            time=time,
            parking=parking,
            reservation=reservation,
            power_min=power if power is not None else (power_min if power_min is not None else power_max),
            power_max=power if power is not None else (power_max if power_max is not None else power_min),
            current_min=current if current is not None else (current_min if current_min is not None else current_max),
            current_max=current if current is not None else (current_max if current_max is not None else current_min),
        )


class _Dimension:
    """Running cost of one dimension and the component of the last period that billed it.

    Volumes are in step units (Wh for energy, seconds for time); `per_price_unit` converts them to the unit the
    price is given in (1000 Wh per kWh, 3600 s per hour), divided out once when the totals are read.
    """

    __slots__ = ("excl", "incl", "last", "per_price_unit", "volume")

    def __init__(self, per_price_unit: Decimal) -> None:
        self.per_price_unit = per_price_unit
        self.excl = ZERO  # sum of volume * price, in step units
        self.incl = ZERO
        self.volume = ZERO
        self.last: PriceComponent | None = None

    def bill(self, component: PriceComponent, volume: Decimal) -> None:
        cost = volume * component.price
        self.excl += cost
        vat = component.vat
        self.incl += cost if vat is None else cost + cost * vat / _HUNDRED
        self.volume += volume
        if volume:
            self.last = component

    def cost(self, *, with_step: bool) -> tuple[Decimal, Decimal]:
        """Cost (excl, incl) so far; with `with_step`, the billed total is rounded up to the last step_size."""
        excl, incl = self.excl, self.incl
        component = self.last
        if with_step and component is not None and component.step_size > 0:
            # Named rounding step: only the step count is decided on the volume rounded to a millionth of a
            # unit, so that a volume like 0.0833...3 h (300 s written with finite digits) is not billed an extra
            # step; the extra volume billed is exact.
            measured = self.volume.quantize(_STEP_RESOLUTION)
            steps, remainder = divmod(measured, component.step_size)
            if remainder:
                extra = (steps + 1) * component.step_size - self.volume
                cost = extra * component.price
                excl += cost
                incl += add_vat(cost, component.vat)
        unit = self.per_price_unit
        return excl / unit, incl / unit


class CostAccumulator:
    """Running CDR costs of a session, period by period; `totals()` is O(1) at any point."""

    def __init__(
        self, tariff: Tariff, time_zone: ZoneInfo | str | None = None, idle_fee: IdleFee | None = None
    ) -> None:
        self.tariff = tariff
        tz = time_zone if isinstance(time_zone, ZoneInfo) else load_time_zone(time_zone)
        self.compiled = CompiledTariff(tariff, tz)
        self.idle_fee = idle_fee
        regular = self.compiled.regular
        self._flat_candidates = regular[_FLAT]
        self._energy_candidates = regular[_ENERGY]
        self._time_candidates = regular[_TIME]
        self._parking_candidates = regular[_PARKING]
        self._energy = _Dimension(_WH_PER_KWH)
        self._time = _Dimension(_SECONDS_PER_HOUR)
        self._parking = _Dimension(_SECONDS_PER_HOUR)
        self._last_time_based: _Dimension | None = None
        self._flat: PriceComponent | None = None
        self._used = _Dimension(_SECONDS_PER_HOUR)  # reservation time, reservation used
        self._expired = _Dimension(_SECONDS_PER_HOUR)  # reservation time, reservation expired
        self._used_flat: PriceComponent | None = None
        self._expired_flat: PriceComponent | None = None
        self._reservation_seen = False
        self._charging_seen = False
        self._session_start: datetime | None = None
        self._reservation_start: datetime | None = None
        self._energy_total = ZERO
        self._parking_total = ZERO
        self._idle_run = ZERO
        self._idle_excl = ZERO
        self._idle_incl = ZERO
        self._has_charged = False

    @property
    def session_start(self) -> datetime | None:
        """Start of the first non-reservation period (durations in restrictions count from here)."""
        return self._session_start

    @property
    def energy_kwh(self) -> Decimal:
        """Energy of all periods added so far."""
        return self._energy_total

    def add(self, period: PeriodValues) -> None:
        """Price one period (periods must be added in time order)."""
        compiled = self.compiled
        local = period.start.astimezone(compiled.tz) if compiled.needs_local else period.start
        if period.reservation is not None:
            self._add_reservation(period, local)
            if not (period.energy or period.time or period.parking):
                return
        if self._session_start is None:
            self._session_start = period.start
        moment = Moment(
            local,
            period.start - self._session_start,
            self._energy_total,
            period.power_min,
            period.power_max,
            period.current_min,
            period.current_max,
        )
        self._charging_seen = True
        find = compiled.find
        if self._flat is None:
            self._flat = find(self._flat_candidates, moment)
        if period.energy:
            component = find(self._energy_candidates, moment)
            if component is not None:
                self._energy.bill(component, period.energy * _WH_PER_KWH)
            self._energy_total += period.energy
        if period.time:
            component = find(self._time_candidates, moment)
            if component is not None:
                self._time.bill(component, period.time)
                self._last_time_based = self._time
        if period.parking:
            component = find(self._parking_candidates, moment)
            if component is not None:
                self._parking.bill(component, period.parking)
                self._last_time_based = self._parking
            self._parking_total += period.parking
        if self.idle_fee is not None:
            self._add_idle(period)

    def _add_reservation(self, period: PeriodValues, local: datetime) -> None:
        if self._reservation_start is None:
            self._reservation_start = period.start
        moment = Moment(local, period.start - self._reservation_start, ZERO)
        compiled = self.compiled
        volume = period.reservation or ZERO
        if not self._reservation_seen:
            self._used_flat = compiled.find(compiled.reservation[_FLAT], moment)
            self._expired_flat = compiled.find(compiled.expired_reservation[_FLAT], moment)
            self._reservation_seen = True
        if volume:
            component = compiled.find(compiled.reservation[_TIME], moment)
            if component is not None:
                self._used.bill(component, volume)
            component = compiled.find(compiled.expired_reservation[_TIME], moment)
            if component is not None:
                self._expired.bill(component, volume)

    def _add_idle(self, period: PeriodValues) -> None:
        fee = self.idle_fee
        assert fee is not None
        if period.energy > 0 or period.time > 0:
            self._has_charged = True
            self._idle_run = ZERO
            return
        if not self._has_charged or not period.parking:
            return
        grace = fee.grace_seconds
        before = max(self._idle_run - grace, ZERO)
        self._idle_run += period.parking
        billable = max(self._idle_run - grace, ZERO) - before
        if billable:
            cost = billable * fee.price_per_minute  # divided by 60 in totals()
            self._idle_excl += cost
            self._idle_incl += add_vat(cost, fee.vat)

    def totals(self, start: datetime, end: datetime) -> CdrTotals:
        """CDR cost fields as if the session ended at `end` (it started at `start`), at full precision."""
        with localcontext(MONEY_CONTEXT):
            return self._totals(start, end)

    def _totals(self, start: datetime, end: datetime) -> CdrTotals:
        energy = Money(*self._energy.cost(with_step=True))
        time_x, time_i = self._time.cost(with_step=self._last_time_based is self._time)
        parking_x, parking_i = self._parking.cost(with_step=self._last_time_based is self._parking)
        fixed = _NO_MONEY
        if self._flat is not None:
            fixed = Money(self._flat.price, add_vat(self._flat.price, self._flat.vat))
        reservation = self._reservation_cost()
        time_cost = Money(time_x, time_i)
        total_x = fixed.excl_vat + energy.excl_vat + time_x + parking_x + reservation.excl_vat
        total_i = fixed.incl_vat + energy.incl_vat + time_i + parking_i + reservation.incl_vat
        total_x, total_i = self._bounded(total_x, total_i)
        if self.idle_fee is not None and self._idle_excl:
            idle_x, idle_i = self._idle_excl / _SECONDS_PER_MINUTE, self._idle_incl / _SECONDS_PER_MINUTE
            cap = self.idle_fee.cap
            if cap is not None and idle_x > cap:
                idle_x, idle_i = cap, add_vat(cap, self.idle_fee.vat)
            parking_x, parking_i = parking_x + idle_x, parking_i + idle_i
            total_x, total_i = total_x + idle_x, total_i + idle_i
        currency = self.tariff.currency
        return CdrTotals(
            total_cost=Money(total_x, total_i),
            total_fixed_cost=fixed,
            total_energy_cost=energy,
            total_time_cost=time_cost,
            total_parking_cost=Money(parking_x, parking_i),
            total_reservation_cost=reservation,
            total_energy=self._energy_total,
            total_time=Decimal((end - start) // timedelta(microseconds=1)) / _MICROSECONDS_PER_HOUR,
            total_parking_time=self._parking_total / _SECONDS_PER_HOUR,
            currency=currency,
            amount_due=round_half_up_to_minor_unit(total_i, currency),
        )

    def _reservation_cost(self) -> Money:
        if not self._reservation_seen:
            return _NO_MONEY
        expired = not self._charging_seen
        dimension = self._expired if expired else self._used
        flat = self._expired_flat if expired else self._used_flat
        excl, incl = dimension.cost(with_step=True)
        if flat is not None:
            excl += flat.price
            incl += add_vat(flat.price, flat.vat)
        return Money(excl, incl)

    def _bounded(self, excl: Decimal, incl: Decimal) -> tuple[Decimal, Decimal]:
        """Apply min_price and max_price to both totals independently (OCPI notes on min/max price)."""
        low, high = self.tariff.min_price, self.tariff.max_price
        if low is not None:
            excl = max(excl, low.excl_vat)
            if low.incl_vat is not None:
                incl = max(incl, low.incl_vat)
        if high is not None:
            excl = min(excl, high.excl_vat)
            if high.incl_vat is not None:
                incl = min(incl, high.incl_vat)
        return excl, incl


def price_session(tariff: Tariff, session: CdrSession, idle_fee: IdleFee | None = None) -> CdrTotals:
    """Price a whole session (OCPI CDR charging periods) with `tariff`; this is what the CDR states."""
    tz = load_time_zone(session.time_zone)
    accumulator = CostAccumulator(tariff, tz, idle_fee)
    periods = session.charging_periods
    with localcontext(MONEY_CONTEXT):
        for index, period in enumerate(periods):
            end = periods[index + 1].start_date_time if index + 1 < len(periods) else session.end_date_time
            accumulator.add(PeriodValues.from_charging_period(period, end))
        return accumulator.totals(session.start_date_time, session.end_date_time)
