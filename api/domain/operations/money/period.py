"""A reporting period: whole UTC days, the first and the last included, as the money reports take it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Final

import msgspec

from api.errors import FieldError, InvalidInput

LONGEST: Final = timedelta(days=400)


class Period(msgspec.Struct, frozen=True):
    first_day: date
    last_day: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time(0), UTC)

    @property
    def end(self) -> datetime:
        """The moment after the period (excluded)."""
        return datetime.combine(self.last_day + timedelta(days=1), time(0), UTC)


def period_of(first: date | None, last: date | None, today: date) -> Period:
    """The period asked for; without `from` the month of `to` so far, without `to` today."""
    last_day = last or today
    first_day = first or last_day.replace(day=1)
    if first_day > last_day:
        raise InvalidInput([FieldError("from", "must be on or before `to`", source="query")])
    if last_day - first_day > LONGEST:
        raise InvalidInput([FieldError("from", "a period is at most 400 days long", source="query")])
    return Period(first_day, last_day)
