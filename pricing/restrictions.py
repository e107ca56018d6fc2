"""Which price component applies at a moment: OCPI tariff restrictions evaluated in the location's local time.

Per dimension the first tariff element (in list order) that has a component for that dimension and whose
restrictions all hold at that moment applies. Elements with a `reservation` restriction only price reservations.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from pricing.tariff import (
    PriceComponent,
    ReservationRestrictionType,
    Tariff,
    TariffDimensionType,
    TariffRestrictions,
)

__all__ = ["CompiledRestrictions", "CompiledTariff", "Moment", "Selector", "compiled_tariff"]

_MINUTES_PER_DAY = 24 * 60
_MICROSECOND = timedelta(microseconds=1)
# Longest stretch over which a UTC offset found at both ends is taken as constant in between. Time zones change
# their offset at most a few times a year (in the IANA database no two changes of one zone are closer than
# days), so a stretch this short holds at most one change, and one change shows as different offsets at its ends.
_OFFSET_SPAN = timedelta(hours=6)
_FOREVER = datetime.max.replace(tzinfo=UTC)
_NO_LIMIT = Decimal("Infinity")


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
        "needs_power",
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
        self.needs_power = (
            self.min_power is not None
            or self.max_power is not None
            or self.min_current is not None
            or self.max_current is not None
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

    # The three parts of `holds`, for callers that know which inputs changed: each set restriction is checked by
    # exactly one part, so `holds(m)` equals the three parts together.

    def local_holds(self, local: datetime) -> bool:
        """The time-of-day, weekday and date restrictions at local time `local`."""
        if self.window is not None:
            start, end = self.window
            minute = local.hour * 60 + local.minute
            if start < end:
                if not start <= minute < end:
                    return False
            elif end <= minute < start:
                return False
        if self.days is not None and local.weekday() not in self.days:
            return False
        if self.start_date is not None and local.date() < self.start_date:
            return False
        return not (self.end_date is not None and local.date() >= self.end_date)

    def progress_holds(self, elapsed: timedelta, energy_kwh: Decimal) -> bool:
        """The kWh and duration restrictions after `elapsed` with `energy_kwh` charged before."""
        if self.min_kwh is not None and energy_kwh < self.min_kwh:
            return False
        if self.max_kwh is not None and energy_kwh >= self.max_kwh:
            return False
        if self.min_duration is not None and elapsed < self.min_duration:
            return False
        return not (self.max_duration is not None and elapsed >= self.max_duration)

    def power_holds(
        self,
        power_min: Decimal | None,
        power_max: Decimal | None,
        current_min: Decimal | None,
        current_max: Decimal | None,
    ) -> bool:
        """The power and current restrictions for a period with these bounds (see `Moment`)."""
        if self.min_power is not None and (power_min is None or power_min < self.min_power):
            return False
        if self.max_power is not None and (power_max is None or power_max >= self.max_power):
            return False
        if self.min_current is not None and (current_min is None or current_min < self.min_current):
            return False
        return not (self.max_current is not None and (current_max is None or current_max >= self.max_current))


Candidates = tuple[tuple[CompiledRestrictions | None, PriceComponent], ...]


_Element = tuple[CompiledRestrictions | None, ReservationRestrictionType | None, tuple[PriceComponent, ...]]


def _candidates(
    elements: Iterable[_Element], dimension: TariffDimensionType, reservation: ReservationRestrictionType | None
) -> Candidates:
    found: list[tuple[CompiledRestrictions | None, PriceComponent]] = []
    for restrictions, kind, components in elements:
        if kind is not reservation:
            continue
        for component in components:
            if component.type is dimension:
                found.append((restrictions, component))
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
        elements: list[_Element] = [
            (
                CompiledRestrictions(e.restrictions) if e.restrictions is not None else None,
                e.restrictions.reservation if e.restrictions is not None else None,
                e.price_components,
            )
            for e in tariff.elements
        ]
        used, expires = ReservationRestrictionType.RESERVATION, ReservationRestrictionType.RESERVATION_EXPIRES
        self.regular: dict[TariffDimensionType, Candidates] = {
            d: _candidates(elements, d, None) for d in TariffDimensionType
        }
        self.reservation: dict[TariffDimensionType, Candidates] = {
            d: _candidates(elements, d, used) for d in TariffDimensionType
        }
        # An expired reservation: RESERVATION_EXPIRES elements first, then RESERVATION ones (spec note).
        self.expired_reservation: dict[TariffDimensionType, Candidates] = {
            d: _candidates(elements, d, expires) + self.reservation[d] for d in TariffDimensionType
        }
        compiled = [c for c, _, _ in elements if c is not None]
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

    def local_span(self, instant: datetime) -> tuple[datetime, datetime]:
        """Local time at `instant` (aware) and the first later instant, in UTC, at which a time-of-day, date or
        weekday restriction may give another result: the next wall-clock mark or the next UTC offset change.

        Every instant before it has the same UTC offset as `instant` and a local time between the same marks, so
        `CompiledRestrictions.local_holds` gives the same result for all of them.
        """
        utc = instant.astimezone(UTC)
        local = utc.astimezone(self.tz)
        minute = local.hour * 60 + local.minute
        marks = self.time_marks
        if not marks:
            return local, min(_FOREVER, utc + _OFFSET_SPAN)
        index = bisect_right(marks, minute)
        ahead = (marks[index] if index < len(marks) else marks[0] + _MINUTES_PER_DAY) - minute
        try:
            until = utc + timedelta(minutes=ahead, seconds=-local.second, microseconds=-local.microsecond)
            until = min(until, utc + _OFFSET_SPAN)
            offset = local.utcoffset()
            last = until - _MICROSECOND
            if last.astimezone(self.tz).utcoffset() != offset:
                # One offset change lies in (utc, last]: find its first instant to the microsecond.
                low, high = utc, last
                while high - low > _MICROSECOND:
                    middle = low + (high - low) // 2
                    if middle.astimezone(self.tz).utcoffset() == offset:
                        low = middle
                    else:
                        high = middle
                until = high
        except OverflowError:  # at the end of the calendar: valid for this instant only
            until = utc
        return local, until

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


_BY_POWER = -2


class Selector:
    """Which component of a list of candidates applies to each period of one session, deciding the time-of-day,
    date, weekday, duration and kWh restrictions only where their result may change.

    `refresh` decides those restrictions for a stretch of the session: until the next time mark or UTC offset
    change (`until`), the next duration mark (`elapsed_until`) and the next kWh mark (`energy_until`). Within the
    stretch only power and current restrictions are left, checked per period by `pick`, which returns the index
    of the same candidate as `CompiledTariff.find` with the full moment (or -1 when none applies).
    """

    __slots__ = (
        "by_elapsed",
        "by_energy",
        "candidates",
        "choice",
        "compiled",
        "elapsed_until",
        "energy_until",
        "lists",
        "until",
    )

    def __init__(self, compiled: CompiledTariff, candidates: Iterable[Candidates]) -> None:
        self.compiled = compiled
        self.candidates = tuple(candidates)
        count = len(self.candidates)
        self.choice = [-1] * count
        self.lists: list[tuple[tuple[CompiledRestrictions | None, int], ...]] = [()] * count
        self.until = datetime.min.replace(tzinfo=UTC)  # nothing decided yet
        self.elapsed_until = timedelta(0)
        self.energy_until = Decimal(0)
        self.by_elapsed = False  # whether `elapsed_until` and `energy_until` bound the stretch
        self.by_energy = False

    def current(self, start: datetime, elapsed: timedelta, energy_kwh: Decimal) -> bool:
        """Whether the restrictions decided by the last `refresh` still hold their result for this period."""
        return start < self.until and elapsed < self.elapsed_until and energy_kwh < self.energy_until

    def refresh(self, start: datetime, elapsed: timedelta, energy_kwh: Decimal, origin: datetime | None = None) -> None:
        """Decide every restriction but power and current for a period starting at `start` (aware).

        With the session's `origin` (`start - elapsed`) given in a fixed-offset zone, the next duration mark is
        folded into `until`, as an instant, and `elapsed_until` is left unbounded.
        """
        compiled = self.compiled
        local = start
        until = _FOREVER
        if compiled.needs_local:
            local, until = compiled.local_span(start)
        marks = compiled.duration_marks
        elapsed_until = timedelta.max
        index = bisect_right(marks, elapsed)
        if index < len(marks):
            elapsed_until = marks[index]
            if origin is not None and isinstance(origin.tzinfo, timezone):
                # In a fixed-offset zone `start - origin < mark` is `start < origin + mark`, in any zone of start.
                try:
                    until = min(until, origin + elapsed_until)
                    elapsed_until = timedelta.max
                except OverflowError:
                    pass  # beyond the calendar: compared as a duration
        levels = compiled.energy_marks
        energy_until = _NO_LIMIT
        index = bisect_right(levels, energy_kwh)
        if index < len(levels):
            energy_until = levels[index]
        for position, candidates in enumerate(self.candidates):
            kept: list[tuple[CompiledRestrictions | None, int]] = []
            choice = -1
            for slot, (restrictions, _) in enumerate(candidates):
                if restrictions is None:
                    choice = slot
                    break
                if restrictions.needs_local and not restrictions.local_holds(local):
                    continue
                if not restrictions.progress_holds(elapsed, energy_kwh):
                    continue
                if not restrictions.needs_power:
                    choice = slot
                    break
                kept.append((restrictions, slot))
            if kept:
                kept.append((None, choice))
                self.choice[position] = _BY_POWER
                self.lists[position] = tuple(kept)
            else:
                self.choice[position] = choice
        self.until = until
        self.elapsed_until = elapsed_until
        self.energy_until = energy_until
        self.by_elapsed = elapsed_until != timedelta.max
        self.by_energy = energy_until != _NO_LIMIT

    def by_power(self, position: int) -> bool:
        """Whether the choice for candidate list `position` in this stretch depends on power or current."""
        return self.choice[position] == _BY_POWER

    def pick(
        self,
        position: int,
        power_min: Decimal | None = None,
        power_max: Decimal | None = None,
        current_min: Decimal | None = None,
        current_max: Decimal | None = None,
    ) -> int:
        """Index of the applying candidate in list `position` for a period with these power/current bounds."""
        choice = self.choice[position]
        if choice != _BY_POWER:
            return choice
        for restrictions, slot in self.lists[position]:
            if restrictions is None or restrictions.power_holds(power_min, power_max, current_min, current_max):
                return slot
        return -1  # pragma: no cover - the last entry has no restrictions


_COMPILED: dict[tuple[int, ZoneInfo], tuple[Tariff, CompiledTariff]] = {}
_COMPILED_KEPT = 64


def compiled_tariff(tariff: Tariff, tz: ZoneInfo) -> CompiledTariff:
    """`CompiledTariff(tariff, tz)`, shared between callers that price with the same tariff object and zone."""
    key = (id(tariff), tz)
    entry = _COMPILED.get(key)
    if entry is not None and entry[0] is tariff:
        return entry[1]
    compiled = CompiledTariff(tariff, tz)
    if len(_COMPILED) >= _COMPILED_KEPT:
        _COMPILED.clear()
    _COMPILED[key] = (tariff, compiled)  # holding the tariff keeps its id from being reused while cached
    return compiled
