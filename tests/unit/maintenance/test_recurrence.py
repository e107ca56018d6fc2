"""Schedule occurrences fall on the right days across month ends, leap days and years."""

from __future__ import annotations

from datetime import date

from api.domain.maintenance.recurrence import Recurrence, add_months


def test_one_month_after_the_31st_is_the_months_last_day_and_then_the_31st_again() -> None:
    monthly = Recurrence(1, "months")
    start = date(2027, 1, 31)
    assert [monthly.occurrence(start, n) for n in range(4)] == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
    ]
    assert monthly.occurrence(date(2028, 1, 31), 1) == date(2028, 2, 29)  # a leap year


def test_quarterly_and_yearly_cross_years_and_keep_the_leap_day() -> None:
    quarterly = Recurrence(3, "months")
    assert quarterly.occurrence(date(2027, 11, 30), 1) == date(2028, 2, 29)
    assert quarterly.occurrence(date(2027, 11, 30), 2) == date(2028, 5, 30)
    yearly = Recurrence(12, "months")
    leap = date(2028, 2, 29)
    assert [yearly.occurrence(leap, n) for n in range(5)] == [
        date(2028, 2, 29),
        date(2029, 2, 28),
        date(2030, 2, 28),
        date(2031, 2, 28),
        date(2032, 2, 29),
    ]


def test_days_count_plainly_and_intervals_read_as_words() -> None:
    assert Recurrence(10, "days").occurrence(date(2027, 12, 25), 1) == date(2028, 1, 4)
    assert add_months(date(2027, 12, 15), -12) == date(2026, 12, 15)
    assert Recurrence(3, "months").describe() == "quarterly"
    assert Recurrence(12, "months").describe() == "yearly"
    assert Recurrence(10, "days").describe() == "every 10 days"
    assert Recurrence(1, "days").describe() == "daily"
    assert Recurrence(2, "months").describe() == "every 2 months"
