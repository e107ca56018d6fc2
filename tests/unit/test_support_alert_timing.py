"""When an SLA warning is due: within SOON of the running clock's due time, or within half of a short clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.db.models import SupportTicket
from api.domain.support.alerts import warning_due

OPENED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def ticket(first_minutes: int, resolution_minutes: int, responded: datetime | None = None) -> SupportTicket:
    return SupportTicket(
        created_at=OPENED,
        first_response_due_at=OPENED + timedelta(minutes=first_minutes),
        resolution_due_at=OPENED + timedelta(minutes=resolution_minutes),
        first_responded_at=responded,
    )


def at(minutes: float) -> datetime:
    return OPENED + timedelta(minutes=minutes)


def test_a_first_response_is_warned_about_half_an_hour_before_it_is_due() -> None:
    high = ticket(60, 480)
    assert not warning_due(high, at(29))
    assert warning_due(high, at(30))
    assert warning_due(high, at(75))  # breached and not yet warned: still told


def test_a_short_urgent_clock_is_warned_about_halfway_not_when_it_opens() -> None:
    urgent = ticket(15, 240)
    assert not warning_due(urgent, at(0))
    assert warning_due(urgent, at(7.5))


def test_once_answered_the_resolution_clock_counts() -> None:
    answered = ticket(60, 480, responded=at(10))
    assert not warning_due(answered, at(100))
    assert warning_due(answered, at(450))


def test_clocks_breached_long_ago_are_not_warned_about() -> None:
    assert not warning_due(ticket(60, 480), at(60 + 25 * 60))
