"""When alerts may be told: quiet hours (also across midnight, in the team's zone), the business-day digest, and
the settings that configure both."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from api.domain.operations.alerts.fatigue import percentile
from api.domain.operations.alerts.timing import AlertTimingError, parse_timing
from api.settings import SettingsError, load_settings

FRIDAY_NOON = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def test_quiet_hours_wrap_past_midnight_in_the_teams_time_zone() -> None:
    timing = parse_timing("22:00-07:00", "08:00", "Europe/Amsterdam")  # UTC+1 in December
    assert timing.quiet(FRIDAY_NOON.replace(hour=21, minute=30))  # 22:30 local
    assert timing.quiet(FRIDAY_NOON.replace(hour=5, minute=59))  # 06:59 local
    assert not timing.quiet(FRIDAY_NOON.replace(hour=6))  # 07:00 local
    assert not timing.quiet(FRIDAY_NOON)
    assert not parse_timing("", "08:00", "UTC").quiet(FRIDAY_NOON.replace(hour=3))


def test_the_digest_is_due_on_business_days_after_its_time() -> None:
    timing = parse_timing("", "08:30", "UTC")
    assert timing.digest_day(FRIDAY_NOON.replace(hour=8, minute=29)) is None
    assert timing.digest_day(FRIDAY_NOON.replace(hour=8, minute=30)) == date(2026, 12, 4)
    assert timing.digest_day(datetime(2026, 12, 5, 12, tzinfo=UTC)) is None  # Saturday
    assert timing.next_digest(FRIDAY_NOON) == datetime(2026, 12, 7, 8, 30, tzinfo=UTC)  # Monday
    assert timing.digest_at == time(8, 30)


@pytest.mark.parametrize(
    ("quiet", "digest", "zone"),
    [("22:00", "08:00", "UTC"), ("22:00-22:00", "08:00", "UTC"), ("", "8h", "UTC"), ("", "08:00", "Mars/Base")],
)
def test_unreadable_timing_is_refused(quiet: str, digest: str, zone: str) -> None:
    with pytest.raises(AlertTimingError):
        parse_timing(quiet, digest, zone)


def test_settings_check_the_operations_values(tmp_path: Path) -> None:
    base = {"VOLTWAY_DATA_DIR": str(tmp_path), "VOLTWAY_SECRET_KEY": "k" * 40}
    settings = load_settings(
        {
            **base,
            "VOLTWAY_OPERATIONS_QUIET_HOURS": "23:00-06:30",
            "VOLTWAY_OPERATIONS_ESCALATION_EMAILS": "duty@example.com, lead@example.com",
        }
    )
    assert settings.operations_escalation_emails == ("duty@example.com", "lead@example.com")
    for wrong in (
        {"VOLTWAY_OPERATIONS_QUIET_HOURS": "late"},
        {"VOLTWAY_OPERATIONS_WEBHOOK_URL": "https://ops.example.com/hook"},  # no secret
        {"VOLTWAY_OPERATIONS_ESCALATION_EMAILS": "nobody"},
    ):
        with pytest.raises(SettingsError):
            load_settings({**base, **wrong})


def test_percentiles_interpolate_between_ranks() -> None:
    assert percentile([], 0.5) is None
    assert percentile([2, 4, 10], 0.5) == 4
    assert percentile([2, 4, 10], 0.9) == pytest.approx(8.8)
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
