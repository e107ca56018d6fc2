"""When alerts may be told: quiet hours that hold major notices, and the business-day time of the minor digest,
both in the operations team's local time zone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

BUSINESS_DAYS = frozenset(range(5))  # Monday to Friday


class AlertTimingError(ValueError):
    """A quiet-hours range, digest time or time zone that cannot be read."""


class AlertTiming(msgspec.Struct, frozen=True):
    """`quiet_start`/`quiet_end` None: no quiet hours; a range may wrap past midnight (22:00-07:00)."""

    zone: str = "UTC"
    quiet_start: time | None = None
    quiet_end: time | None = None
    digest_at: time = time(8, 0)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def quiet(self, moment: datetime) -> bool:
        """Whether `moment` falls in the quiet hours."""
        if self.quiet_start is None or self.quiet_end is None:
            return False
        local = moment.astimezone(self.tz).time()
        if self.quiet_start <= self.quiet_end:
            return self.quiet_start <= local < self.quiet_end
        return local >= self.quiet_start or local < self.quiet_end

    def digest_day(self, moment: datetime) -> date | None:
        """The local business day whose digest is due at `moment` (its digest time has passed), or None."""
        local = moment.astimezone(self.tz)
        if local.weekday() not in BUSINESS_DAYS or local.time() < self.digest_at:
            return None
        return local.date()

    def digest_moment(self, day: date) -> datetime:
        """The instant (aware, local zone) of `day`'s digest: it lists the minor alerts opened before it."""
        return datetime.combine(day, self.digest_at, self.tz)

    def next_digest(self, moment: datetime) -> datetime:
        """The first digest time after `moment` (UTC), for telling operators when a minor alert will be listed."""
        local = moment.astimezone(self.tz)
        day = local.date()
        for _ in range(8):
            candidate = datetime.combine(day, self.digest_at, self.tz)
            if day.weekday() in BUSINESS_DAYS and candidate > local:
                return candidate.astimezone(moment.tzinfo)
            day += timedelta(days=1)
        raise AssertionError("a business day falls within any eight days")  # pragma: no cover


def _clock(text: str, what: str) -> time:
    try:
        hours, minutes = text.strip().split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise AlertTimingError(f"{what} must be HH:MM, not {text!r}") from None


def parse_timing(quiet_hours: str, digest_time: str, zone: str) -> AlertTiming:
    """Read the settings' text: quiet hours "22:00-07:00" (empty: none), digest "08:00", an IANA zone."""
    try:
        ZoneInfo(zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise AlertTimingError(f"unknown time zone {zone!r}") from None
    start = end = None
    if quiet_hours.strip():
        first, sep, second = quiet_hours.partition("-")
        if not sep:
            raise AlertTimingError(f"quiet hours must be a range like 22:00-07:00, not {quiet_hours!r}")
        start, end = _clock(first, "quiet hours"), _clock(second, "quiet hours")
        if start == end:
            raise AlertTimingError("quiet hours must not start and end at the same time")
    digest = _clock(digest_time, "the digest time") if digest_time.strip() else time(8, 0)
    return AlertTiming(zone=zone or "UTC", quiet_start=start, quiet_end=end, digest_at=digest)
