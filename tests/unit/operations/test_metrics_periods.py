"""How a report period is cut into month rows and day rows, which UTC instants its uptime covers, and how
delivering time is read from meter readings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from api.domain.operations.metrics.reports import month_after, split_period, uptime_period
from api.domain.operations.metrics.rollups import counts_as_failed_start, delivering_seconds
from api.domain.uptime.calculation import Period


def _covered(days: list[tuple[date, date]], months: tuple[date, date] | None) -> list[date]:
    covered = []
    for start, stop in days:
        covered += [start + timedelta(days=n) for n in range((stop - start).days + 1)]
    if months is not None:
        month = months[0]
        while month <= months[1]:
            following = month_after(month)
            covered += [month + timedelta(days=n) for n in range((following - month).days)]
            month = following
    return sorted(covered)


def test_a_year_from_mid_month_reads_eleven_months_and_two_partial_ones() -> None:
    days, months = split_period(date(2025, 12, 15), date(2026, 12, 14))
    assert months == (date(2026, 1, 1), date(2026, 11, 1))
    assert days == [(date(2025, 12, 15), date(2025, 12, 31)), (date(2026, 12, 1), date(2026, 12, 14))]


def test_whole_months_need_no_day_rows_and_a_few_days_need_no_month_rows() -> None:
    assert split_period(date(2026, 2, 1), date(2026, 3, 31)) == ([], (date(2026, 2, 1), date(2026, 3, 1)))
    assert split_period(date(2026, 2, 3), date(2026, 2, 27)) == ([(date(2026, 2, 3), date(2026, 2, 27))], None)
    assert split_period(date(2026, 1, 20), date(2026, 2, 10)) == (
        [(date(2026, 1, 20), date(2026, 2, 10))],
        None,
    )


@given(st.dates(date(2020, 1, 1), date(2030, 12, 31)), st.integers(0, 400))
def test_every_day_of_a_period_is_read_exactly_once(first: date, length: int) -> None:
    last = first + timedelta(days=length)
    days, months = split_period(first, last)
    assert _covered(days, months) == [first + timedelta(days=n) for n in range(length + 1)]


def test_uptime_covers_the_periods_utc_days_up_to_now() -> None:
    first, last = date(2026, 3, 28), date(2026, 3, 29)  # Europe's clocks change in between: UTC days do not
    start = datetime(2026, 3, 28, tzinfo=UTC)
    assert uptime_period(first, last, now=start + timedelta(days=9)) == Period(start, start + timedelta(days=2))
    during = start + timedelta(hours=30, minutes=5)
    assert uptime_period(first, last, now=during) == Period(start, during)
    # not begun: nothing to measure, an empty stretch at the start
    assert uptime_period(first, last, now=start - timedelta(seconds=1)) == Period(start, start)
    assert uptime_period(first, last, now=start) == Period(start, start)


def test_delivering_time_counts_the_gaps_across_which_the_register_rose() -> None:
    start = datetime(2026, 3, 1, 12, tzinfo=UTC)
    readings = [
        (start, 1000.0, None),
        (start + timedelta(minutes=10), 3000.0, None),  # rose: 10 min
        (start + timedelta(minutes=20), 3000.0, None),  # flat: the car was full
        (start + timedelta(minutes=25), None, 7000.0),  # no register: the earlier reading showed no power
        (start + timedelta(minutes=30), None, 0.0),  # the earlier reading showed 7 kW: 5 min
    ]
    assert delivering_seconds(readings, fallback=99.0) == 15 * 60
    assert delivering_seconds(readings[:1], fallback=99.0) == 99.0  # too few readings: the whole session


def test_only_the_chargers_failures_are_failed_starts() -> None:
    assert counts_as_failed_start("The charger did not answer the start request.")
    assert counts_as_failed_start(None)
    assert not counts_as_failed_start("Payment declined: insufficient funds")
    assert not counts_as_failed_start("The payment could not be authorised: nothing was held on the card.")
    assert not counts_as_failed_start("Cancelled before the charger started.")
