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

import decimal
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, getcontext, localcontext, setcontext
from zoneinfo import ZoneInfo

import msgspec

from pricing.idle_fee import IdleFee
from pricing.money import MONEY_CONTEXT, ZERO, add_vat, minor_unit_exponent
from pricing.restrictions import CompiledTariff, Moment, Selector, compiled_tariff
from pricing.session import CdrDimensionType, CdrSession, ChargingPeriod, load_time_zone
from pricing.tariff import PriceComponent, Tariff, TariffDimensionType

__all__ = ["CdrTotals", "CostAccumulator", "Money", "PeriodValues", "price_by_period", "price_grouped", "price_session"]

_SECONDS_PER_HOUR = Decimal(3600)
_SECONDS_PER_MINUTE = Decimal(60)
_HUNDRED = Decimal(100)
_WH_PER_KWH = Decimal(1000)
_MICROSECONDS_PER_HOUR = Decimal(3_600_000_000)
_STEP_RESOLUTION = Decimal("0.000001")
_MICROSECOND = timedelta(microseconds=1)
_ONE = Decimal(1)

_ENERGY = TariffDimensionType.ENERGY
_FLAT = TariffDimensionType.FLAT
_TIME = TariffDimensionType.TIME
_PARKING = TariffDimensionType.PARKING_TIME


class Money(msgspec.Struct, frozen=True, gc=False):
    """A cost excluding and including VAT, at full precision."""

    excl_vat: Decimal
    incl_vat: Decimal


_NO_MONEY = Money(ZERO, ZERO)


class CdrTotals(msgspec.Struct, frozen=True, gc=False):
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


def _vat_rate(vat: Decimal | None) -> Decimal | None:
    """`vat / 100` by moving the decimal point: `cost * rate` has the value of `cost * vat / 100` in any context
    (the same digits are multiplied and rounded; dividing by 100 then only moves the point)."""
    if vat is None:
        return None
    sign, digits, exponent = vat.as_tuple()
    assert isinstance(exponent, int)  # a finite VAT rate
    return Decimal((sign, digits, exponent - 2))


class _Dimension:
    """Running cost of one dimension and the component of the last period that billed it.

    Volumes are in step units (Wh for energy, seconds for time); `per_price_unit` converts them to the unit the
    price is given in (1000 Wh per kWh, 3600 s per hour), divided out once when the totals are read. The cost
    read last is kept until the next `bill`.
    """

    __slots__ = (
        "billing",
        "excl",
        "incl",
        "last",
        "per_price_unit",
        "plain",
        "price",
        "rate",
        "step",
        "stepped",
        "volume",
    )

    def __init__(self, per_price_unit: Decimal) -> None:
        self.per_price_unit = per_price_unit
        self.excl = ZERO  # sum of volume * price, in step units
        self.incl = ZERO
        self.volume = ZERO
        self.last: PriceComponent | None = None
        self.plain: Money | None = None  # cost() without and with step, until the next bill
        self.stepped: Money | None = None
        self.billing: PriceComponent | None = None  # the component of the last bill, with its price and VAT rate
        self.price = ZERO
        self.rate: Decimal | None = None
        self.step = ZERO

    def bill(self, component: PriceComponent, volume: Decimal) -> None:
        if component is not self.billing:
            self.billing = component
            self.price = component.price
            self.rate = _vat_rate(component.vat)
            self.step = Decimal(component.step_size)
        cost = volume * self.price
        self.excl += cost
        rate = self.rate
        self.incl += cost if rate is None else cost + cost * rate  # add_vat
        self.volume += volume
        if volume:
            self.last = component
        self.plain = self.stepped = None

    def cost(self, with_step: bool) -> Money:
        """Cost so far; with `with_step`, the billed total is rounded up to the last step_size.

        Read in MONEY_CONTEXT.
        """
        if with_step:
            if self.stepped is None:
                self.stepped = Money(*self._cost(True))
            return self.stepped
        if self.plain is None:
            self.plain = Money(*self._cost(False))
        return self.plain

    def _cost(self, with_step: bool) -> tuple[Decimal, Decimal]:
        excl, incl = self.excl, self.incl
        component = self.last
        if with_step and component is not None and component.step_size > 0:
            # Named rounding step: only the step count is decided on the volume rounded to a millionth of a
            # unit, so that a volume like 0.0833...3 h (300 s written with finite digits) is not billed an extra
            # step; the extra volume billed is exact.
            if component is self.billing:
                step, price, rate = self.step, self.price, self.rate
            else:
                step, price, rate = Decimal(component.step_size), component.price, _vat_rate(component.vat)
            measured = self.volume.quantize(_STEP_RESOLUTION)
            steps, remainder = divmod(measured, step)
            if remainder:
                extra = (steps + _ONE) * step - self.volume
                cost = extra * price
                excl += cost
                incl += cost if rate is None else cost + cost * rate  # add_vat
        unit = self.per_price_unit
        return excl / unit, incl / unit


class CostAccumulator:
    """Running CDR costs of a session, period by period; `totals()` is O(1) at any point."""

    def __init__(
        self, tariff: Tariff, time_zone: ZoneInfo | str | None = None, idle_fee: IdleFee | None = None
    ) -> None:
        self.tariff = tariff
        tz = time_zone if isinstance(time_zone, ZoneInfo) else load_time_zone(time_zone)
        self.compiled = compiled_tariff(tariff, tz)
        self.idle_fee = idle_fee
        regular = self.compiled.regular
        self._flat_candidates = regular[_FLAT]
        self._energy_candidates = regular[_ENERGY]
        self._time_candidates = regular[_TIME]
        self._parking_candidates = regular[_PARKING]
        self._selector = Selector(
            self.compiled,
            (self._flat_candidates, self._energy_candidates, self._time_candidates, self._parking_candidates),
        )
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
        self._context = MONEY_CONTEXT.copy()
        self._minor_unit = minor_unit_exponent(tariff.currency)
        self._last_totals: tuple[datetime, datetime, CdrTotals] | None = None
        self._fixed: tuple[PriceComponent, Money] | None = None
        self._parking_time: tuple[Decimal, Decimal] | None = None
        low, high = tariff.min_price, tariff.max_price
        self._bounds = (
            low.excl_vat if low is not None else None,
            low.incl_vat if low is not None else None,
            high.excl_vat if high is not None else None,
            high.incl_vat if high is not None else None,
        )

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
        start = period.start
        if period.reservation is not None:
            self._last_totals = None
            compiled = self.compiled
            self._add_reservation(period, start.astimezone(compiled.tz) if compiled.needs_local else start)
            if not (period.energy or period.time or period.parking):
                return
        self.add_values(
            start,
            period.energy,
            period.time,
            period.parking,
            period.power_min,
            period.power_max,
            period.current_min,
            period.current_max,
        )

    def add_values(
        self,
        start: datetime,
        energy: Decimal,
        time: Decimal,
        parking: Decimal,
        power_min: Decimal | None = None,
        power_max: Decimal | None = None,
        current_min: Decimal | None = None,
        current_max: Decimal | None = None,
    ) -> None:
        """`add` of a period without reservation time, given by its values (see `PeriodValues`)."""
        self._last_totals = None
        if self._session_start is None:
            self._session_start = start
        self._charging_seen = True
        if start.tzinfo is None:
            self._add_by_moment(
                PeriodValues(
                    start,
                    energy=energy,
                    time=time,
                    parking=parking,
                    power_min=power_min,
                    power_max=power_max,
                    current_min=current_min,
                    current_max=current_max,
                )
            )
            return
        selector = self._selector
        if (
            start >= selector.until
            or (selector.by_elapsed and start - self._session_start >= selector.elapsed_until)
            or (selector.by_energy and self._energy_total >= selector.energy_until)
        ):
            selector.refresh(start, start - self._session_start, self._energy_total, self._session_start)
        choice = selector.choice
        if self._flat is None:
            slot = selector.pick(0, power_min, power_max, current_min, current_max)
            if slot >= 0:
                self._flat = self._flat_candidates[slot][1]
        if energy:
            slot = choice[1]
            if slot == _BY_POWER:
                slot = selector.pick(1, power_min, power_max, current_min, current_max)
            if slot >= 0:
                self._energy.bill(self._energy_candidates[slot][1], energy * _WH_PER_KWH)
            self._energy_total += energy
        if time:
            slot = choice[2]
            if slot == _BY_POWER:
                slot = selector.pick(2, power_min, power_max, current_min, current_max)
            if slot >= 0:
                self._time.bill(self._time_candidates[slot][1], time)
                self._last_time_based = self._time
        if parking:
            slot = choice[3]
            if slot == _BY_POWER:
                slot = selector.pick(3, power_min, power_max, current_min, current_max)
            if slot >= 0:
                self._parking.bill(self._parking_candidates[slot][1], parking)
                self._last_time_based = self._parking
            self._parking_total += parking
        if self.idle_fee is not None:
            self._add_idle(energy, time, parking)

    def _add_by_moment(self, period: PeriodValues) -> None:
        """`add` for a period whose start has no time zone: every lookup sees the whole moment."""
        compiled = self.compiled
        assert self._session_start is not None
        local = period.start.astimezone(compiled.tz) if compiled.needs_local else period.start
        moment = Moment(
            local,
            period.start - self._session_start,
            self._energy_total,
            period.power_min,
            period.power_max,
            period.current_min,
            period.current_max,
        )
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
            self._add_idle(period.energy, period.time, period.parking)

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

    def _add_idle(self, energy: Decimal, time: Decimal, parking: Decimal) -> None:
        fee = self.idle_fee
        assert fee is not None
        if energy > 0 or time > 0:
            self._has_charged = True
            self._idle_run = ZERO
            return
        if not self._has_charged or not parking:
            return
        grace = fee.grace_seconds
        before = max(self._idle_run - grace, ZERO)
        self._idle_run += parking
        billable = max(self._idle_run - grace, ZERO) - before
        if billable:
            cost = billable * fee.price_per_minute  # divided by 60 in totals()
            self._idle_excl += cost
            self._idle_incl += add_vat(cost, fee.vat)

    def totals(self, start: datetime, end: datetime) -> CdrTotals:
        """CDR cost fields as if the session ended at `end` (it started at `start`), at full precision."""
        last = self._last_totals
        if last is not None and last[0] is start and last[1] is end:
            return last[2]
        previous = getcontext()
        setcontext(self._context)
        try:
            totals = self._totals(start, end)
        finally:
            setcontext(previous)
        self._last_totals = (start, end, totals)
        return totals

    def _totals(self, start: datetime, end: datetime) -> CdrTotals:
        energy = self._energy
        time = self._time
        parking = self._parking
        last_time_based = self._last_time_based
        energy_cost = energy.stepped or energy.cost(True)
        time_cost = (time.stepped or time.cost(True)) if last_time_based is time else (time.plain or time.cost(False))
        parking_cost = (
            (parking.stepped or parking.cost(True))
            if last_time_based is parking
            else (parking.plain or parking.cost(False))
        )
        energy_x, energy_i = energy_cost.excl_vat, energy_cost.incl_vat
        time_x, time_i = time_cost.excl_vat, time_cost.incl_vat
        parking_x, parking_i = parking_cost.excl_vat, parking_cost.incl_vat
        # Sums in the order of the fields; a fixed or reservation cost that is absent is not added (the same value).
        total_x, total_i = energy_x, energy_i
        fixed = _NO_MONEY
        if self._flat is not None:
            fixed = self._fixed_cost()
            total_x, total_i = fixed.excl_vat + energy_x, fixed.incl_vat + energy_i
        total_x = total_x + time_x + parking_x
        total_i = total_i + time_i + parking_i
        reservation = _NO_MONEY
        if self._reservation_seen:
            reservation = self._reservation_cost()
            total_x, total_i = total_x + reservation.excl_vat, total_i + reservation.incl_vat
        # min_price and max_price bound both totals independently (OCPI notes on min/max price).
        low_x, low_i, high_x, high_i = self._bounds
        if low_x is not None and low_x > total_x:
            total_x = low_x
        if low_i is not None and low_i > total_i:
            total_i = low_i
        if high_x is not None and high_x < total_x:
            total_x = high_x
        if high_i is not None and high_i < total_i:
            total_i = high_i
        if self.idle_fee is not None and self._idle_excl:
            idle_x, idle_i = self._idle_excl / _SECONDS_PER_MINUTE, self._idle_incl / _SECONDS_PER_MINUTE
            cap = self.idle_fee.cap
            if cap is not None and idle_x > cap:
                idle_x, idle_i = cap, add_vat(cap, self.idle_fee.vat)
            parking_cost = Money(parking_x + idle_x, parking_i + idle_i)
            total_x, total_i = total_x + idle_x, total_i + idle_i
        parking_total = self._parking_total
        parking_time = self._parking_time
        if parking_time is None or parking_time[0] is not parking_total:
            parking_time = self._parking_time = (parking_total, parking_total / _SECONDS_PER_HOUR)
        return CdrTotals(
            Money(total_x, total_i),
            fixed,
            energy_cost,
            time_cost,
            parking_cost,
            reservation,
            self._energy_total,
            Decimal((end - start) // _MICROSECOND) / _MICROSECONDS_PER_HOUR,
            parking_time[1],
            self.tariff.currency,
            total_i.quantize(self._minor_unit, rounding=ROUND_HALF_UP),  # round_half_up_to_minor_unit
        )

    def _fixed_cost(self) -> Money:
        flat = self._flat
        if flat is None:
            return _NO_MONEY
        fixed = self._fixed
        if fixed is None or fixed[0] is not flat:
            fixed = self._fixed = (flat, Money(flat.price, add_vat(flat.price, flat.vat)))
        return fixed[1]

    def _reservation_cost(self) -> Money:
        if not self._reservation_seen:
            return _NO_MONEY
        expired = not self._charging_seen
        dimension = self._expired if expired else self._used
        flat = self._expired_flat if expired else self._used_flat
        cost = dimension.cost(True)
        excl, incl = cost.excl_vat, cost.incl_vat
        if flat is not None:
            excl += flat.price
            incl += add_vat(flat.price, flat.vat)
        return Money(excl, incl)


def price_session(tariff: Tariff, session: CdrSession, idle_fee: IdleFee | None = None) -> CdrTotals:
    """Price a whole session (OCPI CDR charging periods) with `tariff`; this is what the CDR states."""
    tz = load_time_zone(session.time_zone)
    totals = price_grouped(tariff, session, tz, idle_fee)
    if totals is not None:
        return totals
    return price_by_period(tariff, session, tz, idle_fee)


def price_by_period(tariff: Tariff, session: CdrSession, tz: ZoneInfo, idle_fee: IdleFee | None) -> CdrTotals:
    """`price_session` period by period through a `CostAccumulator` (what `price_grouped` must agree with)."""
    accumulator = CostAccumulator(tariff, tz, idle_fee)
    periods = session.charging_periods
    with localcontext(MONEY_CONTEXT):
        for index, period in enumerate(periods):
            end = periods[index + 1].start_date_time if index + 1 < len(periods) else session.end_date_time
            accumulator.add(PeriodValues.from_charging_period(period, end))
        return accumulator.totals(session.start_date_time, session.end_date_time)


# Whole sessions are priced by summing each dimension's volume per price component and multiplying once per
# component, instead of pricing every period. That gives the same numbers as period-by-period pricing as long as
# no operation of either way has to round. With all volumes, prices and VAT rates not negative, every sum and
# product of the period-by-period way has at most as many digits as its summed counterpart, plus the digits of
# the unit factor (4), the price and the VAT rate (and up to 2 - exponent of the VAT rate, from dividing by 100).
# So the summed way runs with that many digits fewer than MONEY_CONTEXT and with `Rounded` trapped: if it
# completes, neither way rounded. If it traps, the session is priced period by period.

_UNIT_DIGITS = 4  # 1000 Wh per kWh, 3600 s per hour
_FEWEST_DIGITS = 16


def _digits(value: Decimal) -> int:
    return len(value.as_tuple().digits)


def _grouping_context(compiled: CompiledTariff) -> decimal.Context | None:
    """The context in which summing per component is known to be exact, or None when it leaves too few digits."""
    margin = 0
    for dimension in (_ENERGY, _TIME, _PARKING):
        for _, component in compiled.regular[dimension]:
            used = _UNIT_DIGITS + _digits(component.price)
            vat = component.vat
            if vat is not None:
                exponent = vat.as_tuple().exponent
                assert isinstance(exponent, int)  # finite
                used = max(used + _digits(vat), 2 - exponent)
            margin = max(margin, used)
    precision = MONEY_CONTEXT.prec - margin - 1
    if precision < _FEWEST_DIGITS:
        return None
    return decimal.Context(
        prec=precision,
        rounding=decimal.ROUND_HALF_EVEN,
        traps=[decimal.Rounded, decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
    )


_CONTEXTS: dict[int, tuple[CompiledTariff, decimal.Context | None]] = {}


def _context_for(compiled: CompiledTariff) -> decimal.Context | None:
    entry = _CONTEXTS.get(id(compiled))
    if entry is not None and entry[0] is compiled:
        return entry[1]
    context = _grouping_context(compiled)
    if len(_CONTEXTS) >= 64:
        _CONTEXTS.clear()
    _CONTEXTS[id(compiled)] = (compiled, context)
    return context


_E = CdrDimensionType.ENERGY
_T = CdrDimensionType.TIME
_P = CdrDimensionType.PARKING_TIME
_POWER = CdrDimensionType.POWER
_MIN_POWER = CdrDimensionType.MIN_POWER
_MAX_POWER = CdrDimensionType.MAX_POWER
_CURRENT = CdrDimensionType.CURRENT
_MIN_CURRENT = CdrDimensionType.MIN_CURRENT
_MAX_CURRENT = CdrDimensionType.MAX_CURRENT
_RESERVATION = CdrDimensionType.RESERVATION_TIME
_BY_POWER = -2


def price_grouped(
    tariff: Tariff, session: CdrSession, tz: ZoneInfo, idle_fee: IdleFee | None = None
) -> CdrTotals | None:
    """`price_session` in one pass that sums volumes per price component, or None when this session needs
    period-by-period pricing: it has reservation periods or an idle fee, its numbers have too many digits, or its
    periods would not pass `check_periods` (out of order, a naive start, a volume that is not finite or is a
    negative amount, a dimension given twice, a start after the end).

    The same numbers as period-by-period pricing, see above.
    """
    periods = session.charging_periods
    if idle_fee is not None or not periods:
        return None
    compiled = compiled_tariff(tariff, tz)
    context = _context_for(compiled)
    if context is None:
        return None
    regular = compiled.regular
    flat_candidates = regular[_FLAT]
    energy_candidates = regular[_ENERGY]
    time_candidates = regular[_TIME]
    parking_candidates = regular[_PARKING]
    selector = Selector(compiled, (flat_candidates, energy_candidates, time_candidates, parking_candidates))
    choice = selector.choice
    pick = selector.pick
    divide = MONEY_CONTEXT.divide
    energy_sums = [ZERO] * len(energy_candidates)
    time_sums = [ZERO] * len(time_candidates)
    parking_sums = [ZERO] * len(parking_candidates)
    last_energy = last_time = last_parking = -1
    time_based_last = 0  # 1: time, 2: parking
    flat = -1
    energy_total = parking_hours = ZERO
    origin = periods[0].start_date_time
    previous = session.start_date_time
    count = len(periods)
    until = selector.until
    elapsed_until = selector.elapsed_until
    energy_until = selector.energy_until
    low: Decimal | None
    high: Decimal | None
    low_current: Decimal | None
    high_current: Decimal | None
    by_power = True
    time_priced = parking_priced = False
    run_energy = run_time = run_parking = ZERO  # volumes of the current stretch while its choices are fixed
    by_power_mark = _BY_POWER
    zero = ZERO
    by_elapsed = False  # until the first refresh, `until` alone asks for it
    by_energy = bool(compiled.energy_marks)
    try:
        with localcontext(context):
            for index, period in enumerate(periods):
                start = period.start_date_time
                if start.tzinfo is None or start < previous:
                    return None
                previous = start
                energy = time = parking = None
                power = power_min = power_max = current = current_min = current_max = None
                others: set[CdrDimensionType] | None = None
                for dimension in period.dimensions:
                    volume = dimension.volume
                    if not volume.is_finite():
                        return None
                    kind = dimension.type
                    if kind is _E:
                        if energy is not None or volume < zero:
                            return None
                        energy = volume
                    elif kind is _T:
                        if time is not None or volume < zero:
                            return None
                        time = volume
                    elif kind is _P:
                        if parking is not None or volume < zero:
                            return None
                        parking = volume
                    elif kind is _MAX_POWER:
                        if power_max is not None:
                            return None
                        power_max = volume
                    elif kind is _POWER:
                        if power is not None:
                            return None
                        power = volume
                    elif kind is _MIN_POWER:
                        if power_min is not None:
                            return None
                        power_min = volume
                    elif kind is _CURRENT:
                        if current is not None:
                            return None
                        current = volume
                    elif kind is _MIN_CURRENT:
                        if current_min is not None:
                            return None
                        current_min = volume
                    elif kind is _MAX_CURRENT:
                        if current_max is not None:
                            return None
                        current_max = volume
                    elif kind is _RESERVATION:
                        return None
                    elif others is None:
                        others = {kind}
                    elif kind in others:
                        return None
                    else:
                        others.add(kind)
                if (
                    start >= until
                    or (by_energy and energy_total >= energy_until)
                    or (by_elapsed and start - origin >= elapsed_until)
                ):
                    # A new stretch: bill what the last one summed with its choices, then decide anew.
                    if run_energy:
                        slot = choice[1]
                        if slot >= 0:
                            energy_sums[slot] += run_energy
                            last_energy = slot
                        if not by_energy:
                            energy_total += run_energy
                        run_energy = zero
                    if run_time:
                        slot = choice[2]
                        if slot >= 0:
                            time_sums[slot] += run_time
                            last_time = slot
                        run_time = zero
                    if run_parking:
                        slot = choice[3]
                        if slot >= 0:
                            parking_sums[slot] += run_parking
                            last_parking = slot
                        parking_hours += run_parking
                        run_parking = zero
                    selector.refresh(start, start - origin, energy_total, origin)
                    until = selector.until
                    elapsed_until = selector.elapsed_until
                    energy_until = selector.energy_until
                    by_elapsed = elapsed_until != timedelta.max
                    by_power = by_power_mark in choice
                    time_priced = choice[2] >= 0
                    parking_priced = choice[3] >= 0
                if not by_power:
                    # Every choice is fixed in this stretch: sum the volumes, billed when the stretch ends.
                    if flat < 0:
                        flat = choice[0]
                    if energy:
                        run_energy += energy
                        if by_energy:
                            energy_total += energy
                    if time:
                        run_time += time
                        if time_priced:
                            time_based_last = 1
                    if parking:
                        run_parking += parking
                        if parking_priced:
                            time_based_last = 2
                    continue
                if power is None and power_min is None and power_max is None and energy is not None and energy > zero:
                    end = periods[index + 1].start_date_time if index + 1 < count else session.end_date_time
                    if end > start:
                        hours = divide(Decimal((end - start) // _MICROSECOND), _MICROSECONDS_PER_HOUR)
                        power = divide(energy, hours)
                if power is not None:
                    low = high = power
                else:
                    low = power_min if power_min is not None else power_max
                    high = power_max if power_max is not None else power_min
                if current is not None:
                    low_current = high_current = current
                else:
                    low_current = current_min if current_min is not None else current_max
                    high_current = current_max if current_max is not None else current_min
                if flat < 0:
                    flat = pick(0, low, high, low_current, high_current)
                if energy:
                    slot = pick(1, low, high, low_current, high_current)
                    if slot >= 0:
                        energy_sums[slot] += energy
                        last_energy = slot
                    energy_total += energy
                if time:
                    slot = pick(2, low, high, low_current, high_current)
                    if slot >= 0:
                        time_sums[slot] += time
                        last_time = slot
                        time_based_last = 1
                if parking:
                    slot = pick(3, low, high, low_current, high_current)
                    if slot >= 0:
                        parking_sums[slot] += parking
                        last_parking = slot
                        time_based_last = 2
                    parking_hours += parking
            # The last stretch.
            if run_energy:
                slot = choice[1]
                if slot >= 0:
                    energy_sums[slot] += run_energy
                    last_energy = slot
                if not by_energy:
                    energy_total += run_energy
            if run_time:
                slot = choice[2]
                if slot >= 0:
                    time_sums[slot] += run_time
                    last_time = slot
            if run_parking:
                slot = choice[3]
                if slot >= 0:
                    parking_sums[slot] += run_parking
                    last_parking = slot
                parking_hours += run_parking
            if previous > session.end_date_time:
                return None
            accumulator = CostAccumulator(tariff, tz)
            accumulator._session_start = origin
            accumulator._charging_seen = True
            accumulator._flat = flat_candidates[flat][1] if flat >= 0 else None
            accumulator._energy_total = energy_total
            accumulator._parking_total = parking_hours * _SECONDS_PER_HOUR
            for dimension_cost, candidates, sums, last, unit in (
                (accumulator._energy, energy_candidates, energy_sums, last_energy, _WH_PER_KWH),
                (accumulator._time, time_candidates, time_sums, last_time, _SECONDS_PER_HOUR),
                (accumulator._parking, parking_candidates, parking_sums, last_parking, _SECONDS_PER_HOUR),
            ):
                for slot, volume in enumerate(sums):
                    if volume:
                        dimension_cost.bill(candidates[slot][1], volume * unit)
                dimension_cost.last = candidates[last][1] if last >= 0 else None
            if time_based_last:
                accumulator._last_time_based = accumulator._time if time_based_last == 1 else accumulator._parking
    except decimal.DecimalException:  # Rounded: too many digits to sum per component; others: priced period by period
        return None
    return accumulator.totals(session.start_date_time, session.end_date_time)
