"""Service levels: when a ticket must first be answered and when it must be resolved, per priority.

The clock runs in business hours (a weekly schedule in the support team's time zone) when they are configured,
except for urgent tickets, whose clock always runs around the clock. Without business hours every clock runs
24/7. Pure: no I/O, so it is tested with any date.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

PRIORITIES: Final = ("low", "normal", "high", "urgent")
DEFAULT_TARGETS: Final = "urgent=15/240,high=60/480,normal=240/1440,low=1440/4320"  # as the README documents
_DAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SOON: Final = timedelta(minutes=30)  # "due soon" in the queue and for warnings


class SlaConfigError(ValueError):
    """A service-level setting is malformed; the message says what is expected."""


class SlaTarget(msgspec.Struct, frozen=True):
    first_response_minutes: int
    resolution_minutes: int


_DEFAULT_TARGETS: Final = {
    "urgent": SlaTarget(15, 240),
    "high": SlaTarget(60, 480),
    "normal": SlaTarget(240, 1440),
    "low": SlaTarget(1440, 4320),
}


class WorkingPeriod(msgspec.Struct, frozen=True):
    weekday: int  # 0 = Monday
    start: time
    end: time


class SlaPolicy(msgspec.Struct, frozen=True, kw_only=True):
    targets: dict[str, SlaTarget]
    business_hours: tuple[WorkingPeriod, ...] = ()  # empty: 24/7
    time_zone: str = "UTC"

    def due_times(self, priority: str, opened_at: datetime) -> tuple[datetime, datetime]:
        """(first response due, resolution due) for a ticket of `priority` opened at `opened_at`."""
        target = self.targets[priority]
        return (
            self.add_working_minutes(priority, opened_at, target.first_response_minutes),
            self.add_working_minutes(priority, opened_at, target.resolution_minutes),
        )

    def add_working_minutes(self, priority: str, start: datetime, minutes: int) -> datetime:
        """`start` plus `minutes` of the clock that applies to `priority` (UTC)."""
        start = start.astimezone(UTC)
        if priority == "urgent" or not self.business_hours:
            return start + timedelta(minutes=minutes)
        zone = ZoneInfo(self.time_zone)
        remaining = timedelta(minutes=minutes)
        local = start.astimezone(zone)
        day = local.date()
        for _ in range(3 * 366):  # at most a few years of calendar, even with one working hour a week
            for begin, end in self._windows(day, zone):
                if end <= start:
                    continue
                begin = max(begin, start)
                if begin + remaining <= end:
                    return begin + remaining
                remaining -= end - begin
            day += timedelta(days=1)
        raise SlaConfigError("the business hours leave no working time")

    def _windows(self, day: date, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
        windows = []
        for period in self.business_hours:
            if period.weekday != day.weekday():
                continue
            begin = datetime.combine(day, period.start, zone).astimezone(UTC)
            end_day = day if period.end > period.start else day + timedelta(days=1)
            end = datetime.combine(end_day, period.end, zone).astimezone(UTC)
            windows.append((begin, end))
        return sorted(windows)


def parse_targets(text: str) -> dict[str, SlaTarget]:
    """`urgent=15/240,high=60/480,...`: minutes to first response / to resolution; missing priorities keep the
    defaults."""
    targets = dict(_DEFAULT_TARGETS)
    for part in filter(None, (p.strip() for p in text.split(","))):
        match = re.fullmatch(r"(low|normal|high|urgent)\s*=\s*(\d+)\s*/\s*(\d+)", part)
        if match is None:
            raise SlaConfigError(f"expected PRIORITY=FIRST_RESPONSE_MINUTES/RESOLUTION_MINUTES, got {part!r}")
        first, resolution = int(match.group(2)), int(match.group(3))
        if first <= 0 or resolution < first:
            raise SlaConfigError(f"{part!r}: minutes must be positive and resolution at least the first response")
        targets[match.group(1)] = SlaTarget(first, resolution)
    return targets


def parse_business_hours(text: str) -> tuple[WorkingPeriod, ...]:
    """`mon-fri 08:00-18:00; sat 09:00-13:00`; empty means around the clock."""
    periods: list[WorkingPeriod] = []
    for part in filter(None, (p.strip().lower() for p in text.split(";"))):
        match = re.fullmatch(r"([a-z]{3})(?:\s*-\s*([a-z]{3}))?\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})", part)
        if match is None or match.group(1) not in _DAYS or (match.group(2) or "mon") not in _DAYS:
            raise SlaConfigError(f"expected e.g. 'mon-fri 08:00-18:00; sat 09:00-13:00', got {part!r}")
        first = _DAYS.index(match.group(1))
        last = _DAYS.index(match.group(2)) if match.group(2) else first
        midnight = match.group(5) == "24"  # 24:00, the end of the day
        try:
            start = time(int(match.group(3)), int(match.group(4)))
            end = time(int(match.group(5)), int(match.group(6))) if not midnight else time(0)
        except ValueError:
            raise SlaConfigError(f"{part!r}: not a valid time of day") from None
        if midnight and match.group(6) != "00":
            raise SlaConfigError(f"{part!r}: not a valid time of day")
        if start == end and not midnight:
            raise SlaConfigError(f"{part!r}: a working period cannot be empty")
        days = range(first, last + 1) if last >= first else [*range(first, 7), *range(last + 1)]
        periods.extend(WorkingPeriod(day, start, end) for day in days)
    return tuple(periods)


def build_policy(targets: str, business_hours: str, time_zone: str) -> SlaPolicy:
    """The policy from its three settings, every part checked."""
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SlaConfigError(f"unknown IANA time zone {time_zone!r}") from None
    return SlaPolicy(
        targets=parse_targets(targets),
        business_hours=parse_business_hours(business_hours),
        time_zone=time_zone,
    )


def sla_state(due: datetime | None, done: datetime | None, now: datetime) -> str:
    """`met`, `breached`, `soon` (within SOON of the due time) or `ok`; `none` without a target."""
    if due is None:
        return "none"
    if done is not None:
        return "met" if done <= due else "breached"
    if now >= due:
        return "breached"
    return "soon" if due - now <= SOON else "ok"
