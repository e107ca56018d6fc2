"""When a schedule's occurrences fall: every N days or N months, counted from the schedule's first date.

Each occurrence is computed from the start, never from the previous occurrence, so month ends do not drift: a
schedule starting on 31 January is due on 28 (or 29) February, then on 31 March again. A start on 29 February
falls on 28 February in common years and on the 29th again in leap years.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Final, Literal

import msgspec

Unit = Literal["days", "months"]

# RRULE-like names for the usual intervals
NAMED: Final[dict[str, tuple[int, Unit]]] = {
    "daily": (1, "days"),
    "weekly": (7, "days"),
    "monthly": (1, "months"),
    "quarterly": (3, "months"),
    "half-yearly": (6, "months"),
    "yearly": (12, "months"),
}


class Recurrence(msgspec.Struct, frozen=True):
    every: int
    unit: Unit

    def occurrence(self, starts_on: date, n: int) -> date:
        """The date of occurrence `n` (0 is `starts_on` itself)."""
        if self.unit == "days":
            return starts_on + timedelta(days=self.every * n)
        return add_months(starts_on, self.every * n)

    def describe(self) -> str:
        for name, (every, unit) in NAMED.items():
            if (every, unit) == (self.every, self.unit):
                return name
        singular = self.unit[:-1]
        return f"every {singular}" if self.every == 1 else f"every {self.every} {self.unit}"


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, on the same day of the month or the month's last day if it is shorter."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
