"""Dynamic energy prices (beyond OCPI): a schedule of time windows, or a day-ahead price series plus margin.

The price shown before a session starts is the price of the whole session: resolving a dynamic tariff at the
start instant yields a plain, fixed OCPI `Tariff` that is then used for every period of that session.
"""

from __future__ import annotations

import bisect
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import msgspec
from msgspec.structs import replace

from pricing.errors import NoPriceAvailableError
from pricing.restrictions import CompiledRestrictions, Moment
from pricing.session import load_time_zone
from pricing.tariff import DayOfWeek, Tariff, TariffDimensionType, TariffRestrictions, TimeOfDay

__all__ = ["DayAheadPrice", "DayAheadSeries", "DynamicTariff", "PriceWindow"]

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)


class PriceWindow(msgspec.Struct, frozen=True, omit_defaults=True):
    """An energy price (per kWh excl. VAT) valid in a local time window, optionally on some weekdays only."""

    start_time: TimeOfDay
    end_time: TimeOfDay
    energy_price: Decimal
    day_of_week: tuple[DayOfWeek, ...] = ()

    def __post_init__(self) -> None:
        if not self.energy_price.is_finite() or self.energy_price < 0:
            raise ValueError("energy_price: must be a finite number that is not negative")


class DayAheadPrice(msgspec.Struct, frozen=True):
    """A wholesale price per kWh (may be negative) for [start, end)."""

    start: datetime
    end: datetime
    price: Decimal


class DayAheadSeries(msgspec.Struct, frozen=True, omit_defaults=True):
    """Imported day-ahead prices; the energy price is wholesale * (1 + margin_percent/100) + margin_per_kwh,
    never below `floor`."""

    prices: tuple[DayAheadPrice, ...]
    margin_per_kwh: Decimal = _ZERO
    margin_percent: Decimal = _ZERO
    floor: Decimal = _ZERO

    def __post_init__(self) -> None:
        previous: datetime | None = None
        for index, entry in enumerate(self.prices):
            if entry.start.tzinfo is None or entry.end.tzinfo is None:
                raise ValueError(f"prices: entry {index} has a time without a zone")
            if entry.end <= entry.start:
                raise ValueError(f"prices: entry {index} ends before it starts")
            if previous is not None and entry.start < previous:
                raise ValueError(f"prices: entry {index} overlaps or precedes the previous one")
            previous = entry.end

    def price_at(self, instant: datetime) -> Decimal:
        """Energy price per kWh excl. VAT at `instant`, margin included."""
        starts = [entry.start for entry in self.prices]
        index = bisect.bisect_right(starts, instant) - 1
        if index < 0 or instant >= self.prices[index].end:
            raise NoPriceAvailableError(f"no day-ahead price covers {instant.astimezone(UTC).isoformat()}")
        wholesale = self.prices[index].price
        price = wholesale + wholesale * self.margin_percent / _HUNDRED + self.margin_per_kwh
        return max(price, self.floor)


class DynamicTariff(msgspec.Struct, frozen=True, omit_defaults=True):
    """A base OCPI tariff whose ENERGY price follows windows (first match wins) or else a day-ahead series."""

    base: Tariff
    windows: tuple[PriceWindow, ...] = ()
    day_ahead: DayAheadSeries | None = None

    def __post_init__(self) -> None:
        if not any(c.type is TariffDimensionType.ENERGY for e in self.base.elements for c in e.price_components):
            raise ValueError("base: a dynamic tariff needs an ENERGY price component to set")

    def energy_price_at(self, instant: datetime, time_zone: ZoneInfo | str | None = None) -> Decimal | None:
        """The scheduled energy price at `instant`, or None when the base tariff's own price applies."""
        tz = time_zone if isinstance(time_zone, ZoneInfo) else load_time_zone(time_zone)
        local = instant.astimezone(tz)
        for window in self.windows:
            rules = CompiledRestrictions(
                TariffRestrictions(
                    start_time=window.start_time, end_time=window.end_time, day_of_week=window.day_of_week
                )
            )
            if rules.holds(Moment(local, timedelta(0), _ZERO)):
                return window.energy_price
        if self.day_ahead is not None:
            return self.day_ahead.price_at(instant)
        return None

    def resolve(self, start: datetime, time_zone: ZoneInfo | str | None = None) -> Tariff:
        """The fixed tariff for a session starting at `start`: every ENERGY component gets the price shown then."""
        price = self.energy_price_at(start, time_zone)
        if price is None:
            return self.base
        elements = tuple(
            replace(
                element,
                price_components=tuple(
                    replace(component, price=price) if component.type is TariffDimensionType.ENERGY else component
                    for component in element.price_components
                ),
            )
            for element in self.base.elements
        )
        return replace(self.base, elements=elements)
