"""Service levels: due times in business hours (weekends, daylight saving changes, a day ending at 24:00), urgent
tickets around the clock, the state of a clock, and malformed settings refused with a message saying why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from api.domain.support.sla import SlaConfigError, build_policy, sla_state
from api.settings import SettingsError, load_settings

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
WEEKDAYS = "mon-fri 09:00-17:00"


def local(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=AMSTERDAM)


def test_without_business_hours_every_clock_runs_around_the_clock() -> None:
    policy = build_policy("", "", "UTC")
    opened = datetime(2026, 3, 7, 23, 0, tzinfo=UTC)  # a Saturday night
    assert policy.due_times("normal", opened) == (opened + timedelta(minutes=240), opened + timedelta(minutes=1440))


def test_friday_evening_waits_for_monday_morning() -> None:
    policy = build_policy("normal=120/600", WEEKDAYS, "Europe/Amsterdam")
    opened = local(2026, 11, 13, 16, 30)  # Friday, half an hour before closing
    first, resolution = policy.due_times("normal", opened)
    assert first.astimezone(AMSTERDAM) == local(2026, 11, 16, 10, 30)  # 30 min Friday + 90 min Monday
    # 600 minutes: 30 on Friday, 480 on Monday, 90 on Tuesday
    assert resolution.astimezone(AMSTERDAM) == local(2026, 11, 17, 10, 30)
    assert first.tzinfo == UTC


def test_opened_on_a_weekend_starts_on_monday() -> None:
    policy = build_policy("low=60/120", WEEKDAYS, "Europe/Amsterdam")
    first, _ = policy.due_times("low", local(2026, 11, 14, 12, 0))  # Saturday noon
    assert first.astimezone(AMSTERDAM) == local(2026, 11, 16, 10, 0)


def test_business_hours_stay_local_across_the_spring_dst_change() -> None:
    """Clocks in Amsterdam go forward on Sunday 29 March 2026: Friday 09:00 is 08:00 UTC, Monday 09:00 is 07:00 UTC."""
    policy = build_policy("normal=60/600", WEEKDAYS, "Europe/Amsterdam")
    first, resolution = policy.due_times("normal", local(2026, 3, 27, 16, 30))
    assert first.astimezone(AMSTERDAM) == local(2026, 3, 30, 9, 30)
    assert first == datetime(2026, 3, 30, 7, 30, tzinfo=UTC)
    assert resolution.astimezone(AMSTERDAM) == local(2026, 3, 31, 10, 30)


def test_a_working_day_across_the_autumn_dst_change() -> None:
    """Around the clock on the Sunday clocks go back (25 October 2026): the day has 25 hours of working time."""
    policy = build_policy("normal=60/1500", "sun 00:00-24:00", "Europe/Amsterdam")
    start = local(2026, 10, 25, 0, 0)
    _, resolution = policy.due_times("normal", start)
    assert resolution - start == timedelta(hours=25)
    assert resolution.astimezone(AMSTERDAM) == local(2026, 10, 26, 0, 0)


def test_urgent_runs_around_the_clock_even_with_business_hours() -> None:
    policy = build_policy("urgent=15/240", WEEKDAYS, "Europe/Amsterdam")
    opened = local(2026, 11, 14, 3, 0)  # Saturday night
    assert policy.due_times("urgent", opened) == (
        opened.astimezone(UTC) + timedelta(minutes=15),
        opened.astimezone(UTC) + timedelta(minutes=240),
    )


def test_a_day_ending_at_midnight_is_written_24_00() -> None:
    policy = build_policy("high=60/120", "mon-sun 18:00-24:00", "UTC")
    first, resolution = policy.due_times("high", datetime(2026, 11, 16, 23, 30, tzinfo=UTC))
    assert first == datetime(2026, 11, 17, 18, 30, tzinfo=UTC)  # 30 min tonight, 30 min tomorrow evening
    assert resolution == datetime(2026, 11, 17, 19, 30, tzinfo=UTC)


def test_missing_priorities_keep_the_defaults() -> None:
    policy = build_policy("high=30/60", "", "UTC")
    assert (policy.targets["high"].first_response_minutes, policy.targets["normal"].first_response_minutes) == (30, 240)


def test_the_state_of_a_clock() -> None:
    now = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)
    assert sla_state(None, None, now) == "none"
    assert sla_state(now + timedelta(hours=2), None, now) == "ok"
    assert sla_state(now + timedelta(minutes=20), None, now) == "soon"
    assert sla_state(now, None, now) == "breached"
    assert sla_state(now, now - timedelta(minutes=1), now) == "met"
    assert sla_state(now - timedelta(hours=1), now, now) == "breached"


@pytest.mark.parametrize(
    ("targets", "hours", "zone", "message"),
    [
        ("urgent=15", "", "UTC", "expected PRIORITY=FIRST_RESPONSE_MINUTES/RESOLUTION_MINUTES, got 'urgent=15'"),
        ("soon=1/2", "", "UTC", "got 'soon=1/2'"),
        ("high=0/10", "", "UTC", "minutes must be positive"),
        ("high=60/30", "", "UTC", "resolution at least the first response"),
        ("", "weekdays 9-5", "UTC", "expected e.g. 'mon-fri 08:00-18:00; sat 09:00-13:00', got 'weekdays 9-5'"),
        ("", "mon 25:00-26:00", "UTC", "not a valid time of day"),
        ("", "mon 09:00-24:30", "UTC", "not a valid time of day"),
        ("", "mon 09:00-09:00", "UTC", "a working period cannot be empty"),
        ("", "", "Mars/Olympus", "unknown IANA time zone 'Mars/Olympus'"),
    ],
)
def test_malformed_settings_are_refused_with_a_reason(
    tmp_path: Path, targets: str, hours: str, zone: str, message: str
) -> None:
    with pytest.raises(SlaConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build_policy(targets, hours, zone)
    environ = {
        "VOLTWAY_DATA_DIR": str(tmp_path),
        "VOLTWAY_SUPPORT_SLA": targets,
        "VOLTWAY_SUPPORT_BUSINESS_HOURS": hours,
        "VOLTWAY_SUPPORT_TIME_ZONE": zone,
    }
    with pytest.raises(SettingsError) as refused:
        load_settings(environ)
    assert str(refused.value).startswith("VOLTWAY_SUPPORT_SLA / _BUSINESS_HOURS / _TIME_ZONE: ")
    assert message in str(refused.value)
