"""Whether a location is open at a moment, from its OCPI opening times, in its own time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from api.domain.stations.records import OpeningHours


def is_open(opening: OpeningHours | None, time_zone: str, now: datetime) -> bool | None:
    """Open at `now` in the location's local time; None when the feed does not say."""
    if opening is None:
        return None
    for closing in opening.exceptional_closings:
        if closing.period_begin <= now < closing.period_end:
            return False
    for extra in opening.exceptional_openings:
        if extra.period_begin <= now < extra.period_end:
            return True
    if opening.twentyfourseven:
        return True
    local = now.astimezone(ZoneInfo(time_zone))
    clock = local.strftime("%H:%M")
    weekday = local.isoweekday()
    previous_day = 7 if weekday == 1 else weekday - 1
    for hours in opening.regular_hours:
        begin, end = hours.period_begin, hours.period_end
        if begin < end:
            if hours.weekday == weekday and begin <= clock < end:
                return True
        elif end <= begin:  # wraps past midnight (or 00:00-00:00 = whole day)
            if hours.weekday == weekday and clock >= begin:
                return True
            if hours.weekday == previous_day and clock < end:
                return True
    return False
