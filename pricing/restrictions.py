"""Which price component applies at a moment: OCPI tariff restrictions evaluated in the location's local time.

Per dimension the first tariff element (in list order) that has a component for that dimension and whose
restrictions all hold at that moment applies. Elements with a `reservation` restriction only price reservations.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from pricing.tariff import (
    PriceComponent,
    ReservationRestrictionType,
    Tariff,
    TariffDimensionType,
    TariffRestrictions,
)

__all__ = ["CompiledRestrictions", "CompiledTariff", "Moment"]

_MINUTES_PER_DAY = 24 * 60


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


class Moment:
    """What restrictions look at: local time, session progress and the power/current of the period."""

    __slots__ = ("current_max", "current_min", "elapsed", "energy_kwh", "local", "power_max", "power_min")

    def __init__(
        self,
        local: datetime,
        elapsed: timedelta,
        energy_kwh: Decimal,
        power_min: Decimal | None = None,
        power_max: Decimal | None = None,
        current_min: Decimal | None = None,
        current_max: Decimal | None = None,
    ) -> None:
        self.local = local
        self.elapsed = elapsed
        self.energy_kwh = energy_kwh
        # The value compared against `min_power` / `max_power` (and current): the period's average when known,
        # else its minimum for a lower bound and its maximum for an upper bound.
        self.power_min = power_min
        self.power_max = power_max
        self.current_min = current_min
        self.current_max = current_max


class CompiledRestrictions:
    """`TariffRestrictions` turned into plain comparisons."""

    __slots__ = (
        "days",
        "end_date",
        "max_current",
        "max_duration",
        "max_kwh",
        "max_power",
        "min_current",
        "min_duration",
        "min_kwh",
        "min_power",
        "needs_local",
        "start_date",
        "window",
    )

    def __init__(self, restrictions: TariffRestrictions) -> None:
        r = restrictions
        self.window: tuple[int, int] | None = None
        if r.start_time is not None or r.end_time is not None:
            start = _minutes(r.start_time) if r.start_time is not None else 0
            end = _minutes(r.end_time) if r.end_time is not None else _MINUTES_PER_DAY
            if end == 0:
                end = _MINUTES_PER_DAY  # "To stop at end of the day use: 00:00"
            self.window = None if (start == 0 and end == _MINUTES_PER_DAY) or start == end else (start, end)
        self.start_date = date.fromisoformat(r.start_date) if r.start_date is not None else None
        self.end_date = date.fromisoformat(r.end_date) if r.end_date is not None else None
        self.days = frozenset(day.weekday for day in r.day_of_week) if r.day_of_week else None
        self.min_kwh = r.min_kwh
        self.max_kwh = r.max_kwh
        self.min_current = r.min_current
        self.max_current = r.max_current
        self.min_power = r.min_power
        self.max_power = r.max_power
        self.min_duration = timedelta(seconds=r.min_duration) if r.min_duration is not None else None
        self.max_duration = timedelta(seconds=r.max_duration) if r.max_duration is not None else None
        self.needs_local = (
            self.window is not None or self.start_date is not None or self.end_date is not None or self.days is not None
        )

    def holds(self, m: Moment) -> bool:
        """Whether every set restriction holds at moment `m`."""
        if self.needs_local:
            local = m.local
            if self.window is not None:
                start, end = self.window
                minute = local.hour * 60 + local.minute
                if start < end:
                    if not start <= minute < end:
                        return False
                elif end <= minute < start:  # the window wraps around midnight
                    return False
            if self.days is not None and local.weekday() not in self.days:
                return False
            if self.start_date is not None and local.date() < self.start_date:
                return False
            if self.end_date is not None and local.date() >= self.end_date:
                return False
        if self.min_kwh is not None and m.energy_kwh < self.min_kwh:
            return False
        if self.max_kwh is not None and m.energy_kwh >= self.max_kwh:
            return False
        if self.min_duration is not None and m.elapsed < self.min_duration:
            return False
        if self.max_duration is not None and m.elapsed >= self.max_duration:
            return False
        if self.min_power is not None and (m.power_min is None or m.power_min < self.min_power):
            return False
        if self.max_power is not None and (m.power_max is None or m.power_max >= self.max_power):
            return False
        if self.min_current is not None and (m.current_min is None or m.current_min < self.min_current):
            return False
        return not (self.max_current is not None and (m.current_max is None or m.current_max >= self.max_current))


Candidates = tuple[tuple[CompiledRestrictions | None, PriceComponent], ...]


def _candidates(
    tariff: Tariff, dimension: TariffDimensionType, reservation: Iterable[ReservationRestrictionType | None]
) -> Candidates:
    wanted = set(reservation)
    found: list[tuple[CompiledRestrictions | None, PriceComponent]] = []
    for element in tariff.elements:
        restrictions = element.restrictions
        kind = restrictions.reservation if restrictions is not None else None
        if kind not in wanted:
            continue
        for component in element.price_components:
            if component.type is dimension:
                compiled = CompiledRestrictions(restrictions) if restrictions is not None else None
                found.append((compiled, component))
                break  # one component per dimension per element
    return tuple(found)


class CompiledTariff:
    """A tariff indexed per dimension for fast lookups, bound to the location's time zone."""

    __slots__ = (
        "duration_marks",
        "energy_marks",
        "expired_reservation",
        "needs_local",
        "regular",
        "reservation",
        "tariff",
        "time_marks",
        "tz",
    )

    def __init__(self, tariff: Tariff, tz: ZoneInfo) -> None:
        self.tariff = tariff
        self.tz = tz
        self.regular: dict[TariffDimensionType, Candidates] = {
            d: _candidates(tariff, d, (None,)) for d in TariffDimensionType
        }
        self.reservation: dict[TariffDimensionType, Candidates] = {
            d: _candidates(tariff, d, (ReservationRestrictionType.RESERVATION,)) for d in TariffDimensionType
        }
        # An expired reservation: RESERVATION_EXPIRES elements first, then RESERVATION ones (spec note).
        self.expired_reservation: dict[TariffDimensionType, Candidates] = {
            d: _candidates(tariff, d, (ReservationRestrictionType.RESERVATION_EXPIRES,))
            + _candidates(tariff, d, (ReservationRestrictionType.RESERVATION,))
            for d in TariffDimensionType
        }
        compiled = [CompiledRestrictions(e.restrictions) for e in tariff.elements if e.restrictions is not None]
        self.needs_local = any(c.needs_local for c in compiled)
        marks: set[int] = set()
        for c in compiled:
            if c.window is not None:
                marks.update(c.window)
            if c.days is not None or c.start_date is not None or c.end_date is not None:
                marks.add(0)
        self.time_marks = tuple(sorted(m % _MINUTES_PER_DAY for m in marks))
        self.duration_marks = tuple(
            sorted({d for c in compiled for d in (c.min_duration, c.max_duration) if d is not None})
        )
        self.energy_marks = tuple(sorted({k for c in compiled for k in (c.min_kwh, c.max_kwh) if k is not None}))

    @staticmethod
    def find(candidates: Candidates, moment: Moment) -> PriceComponent | None:
        """The component of the first candidate element whose restrictions hold, or None (not priced)."""
        for restrictions, component in candidates:
            if restrictions is None or restrictions.holds(moment):
                return component
        return None

    def next_time_boundary(self, instant: datetime) -> datetime | None:
        """First instant after `instant` at which a time-of-day, date or weekday restriction may change.

        Wall-clock marks are turned into instants in the location's zone; a UTC offset change (DST) before the
        next mark is itself a boundary, since local time jumps there.
        """
        if not self.time_marks:
            return None
        local = instant.astimezone(self.tz)
        best: datetime | None = None
        for day_offset in range(3):
            day = local.date() + timedelta(days=day_offset)
            for minute in self.time_marks:
                wall = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.tz)
                candidate = wall.astimezone(instant.tzinfo)
                if candidate > instant and (best is None or candidate < best):
                    best = candidate
            if best is not None:
                break
        if best is None:  # pragma: no cover - a mark exists every day
            return None
        if local.utcoffset() != best.astimezone(self.tz).utcoffset():
            best = min(best, self._offset_change(instant, best))
        return best

    def _offset_change(self, low: datetime, high: datetime) -> datetime:
        """The first instant in (low, high] whose UTC offset differs from low's, to the second."""
        offset = low.astimezone(self.tz).utcoffset()
        step = timedelta(seconds=1)
        while high - low > step:
            middle = low + (high - low) / 2
            middle = middle.replace(microsecond=0)
            if middle <= low:
                middle = low + step
            if middle.astimezone(self.tz).utcoffset() == offset:
                low = middle
            else:
                high = middle
        return high
