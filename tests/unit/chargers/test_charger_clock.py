"""A charger's clock as the central system sees it: its offset is learnt from what it stamps, its timestamps are
placed on our timeline, replays keep their own moment, and absurd stamps fall back to the arrival time."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.domain.chargers.clock import ChargerClock, describe_offset

# Relative to the day the tests run: nothing here depends on the date.
NOW = datetime.now(UTC).replace(microsecond=0)
PROVISIONED = NOW - timedelta(days=30)
LATENCY = timedelta(milliseconds=40)


def clock(**kwargs: float) -> ChargerClock:
    return ChargerClock("CP-1", PROVISIONED, **kwargs)


def observe_and_place(charger: ChargerClock, stamped: datetime, arrived: datetime) -> datetime:
    """What the bridge does with a live message: learn from its stamp, then place it."""
    charger.observe(stamped, arrived)
    return charger.place(stamped, arrived)


def live(charger: ChargerClock, skew: timedelta, at: datetime) -> datetime:
    """A message stamped by a clock `skew` off, arriving right after; where we place it."""
    return observe_and_place(charger, at + skew, at + LATENCY)


@pytest.mark.parametrize("skew", [timedelta(hours=-2), timedelta(days=3), timedelta(minutes=7), timedelta(0)])
def test_live_messages_of_a_skewed_clock_are_placed_when_they_happened(skew: timedelta) -> None:
    charger = clock()
    for minute in range(10):
        at = NOW + timedelta(minutes=minute)
        placed = live(charger, skew, at)
        assert abs(placed - at) <= LATENCY
    assert charger.offset is not None
    assert abs(charger.offset - skew.total_seconds()) < 1


def test_a_replay_keeps_its_own_earlier_moment_and_does_not_move_the_offset() -> None:
    skew = timedelta(hours=-2)
    charger = clock()
    for minute in range(5):
        live(charger, skew, NOW + timedelta(minutes=minute))
    offset = charger.offset
    # queued 20 minutes ago, stamped then, sent after the reconnect
    replay_stamp = NOW - timedelta(minutes=20) + skew
    placed = observe_and_place(charger, replay_stamp, NOW + timedelta(minutes=5))
    assert abs(placed - (NOW - timedelta(minutes=20))) <= LATENCY
    assert charger.offset == offset


def test_a_burst_of_replays_stamped_at_different_moments_is_not_taken_for_a_clock_set_back() -> None:
    charger = clock()
    live(charger, timedelta(0), NOW)
    for minutes_ago in (50, 40, 30, 20, 10):
        charger.observe(NOW - timedelta(minutes=minutes_ago), NOW + timedelta(seconds=1))
    assert charger.offset is not None
    assert abs(charger.offset) < 1


def test_a_clock_reset_to_1970_mid_session_uses_arrival_times_then_learns_the_new_offset(
    caplog: pytest.LogCaptureFixture,
) -> None:
    charger = clock()
    for minute in range(3):
        live(charger, timedelta(0), NOW + timedelta(minutes=minute))
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    reset_at = NOW + timedelta(minutes=3)
    caplog.set_level(logging.WARNING, "api.domain.chargers.clock")
    for n in range(6):
        arrived = reset_at + timedelta(seconds=10 * n)
        placed = observe_and_place(charger, epoch + timedelta(seconds=10 * n), arrived)
        assert abs(placed - arrived) <= timedelta(seconds=1)
    assert charger.offset is not None
    assert charger.offset < -50 * 365 * 86_400
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # once per charger, not once per message
    assert "CP-1" in warnings[0].getMessage()


def test_a_stamp_before_provisioning_or_far_ahead_is_replaced_by_the_arrival_time() -> None:
    charger = clock(offset_seconds=0.0, future_margin_seconds=900)
    arrived = NOW
    assert charger.place(PROVISIONED - timedelta(days=1), arrived) == arrived
    assert charger.place(NOW + timedelta(hours=1), arrived) == arrived
    assert charger.place(NOW + timedelta(minutes=10), arrived) == NOW + timedelta(minutes=10)
    assert charger.place(datetime.max.replace(tzinfo=UTC), arrived) == arrived


def test_a_clock_jumping_forward_is_followed_at_once() -> None:
    charger = clock()
    live(charger, timedelta(0), NOW)
    placed = live(charger, timedelta(hours=1), NOW + timedelta(minutes=1))
    assert abs(placed - (NOW + timedelta(minutes=1))) <= LATENCY


def test_a_clock_set_back_is_learnt_after_a_few_messages_that_agree() -> None:
    charger = clock()
    for minute in range(3):
        live(charger, timedelta(hours=1), NOW + timedelta(minutes=minute))
    for minute in range(3, 6):
        live(charger, timedelta(0), NOW + timedelta(minutes=minute))
    assert charger.offset is not None
    assert abs(charger.offset) < 1
    assert abs(live(charger, timedelta(0), NOW + timedelta(minutes=6)) - (NOW + timedelta(minutes=6))) <= LATENCY


def test_the_offset_stored_earlier_seeds_a_new_process() -> None:
    charger = clock(offset_seconds=-7200.0)
    replay = NOW - timedelta(minutes=30) - timedelta(hours=2)
    assert charger.place(replay, NOW) == NOW - timedelta(minutes=30)


@given(
    skew_seconds=st.floats(min_value=-86_400 * 400, max_value=86_400 * 400),
    gaps=st.lists(st.floats(min_value=0.5, max_value=600), min_size=1, max_size=30),
)
def test_placed_live_messages_never_lie_after_their_arrival(skew_seconds: float, gaps: list[float]) -> None:
    charger = clock()
    at = NOW
    for gap in gaps:
        at += timedelta(seconds=gap)
        placed = live(charger, timedelta(seconds=skew_seconds), at)
        assert placed <= at + LATENCY + timedelta(seconds=1)
        assert placed >= PROVISIONED


def test_offsets_in_words() -> None:
    assert describe_offset(None) == "unknown"
    assert describe_offset(0.3) == "in sync"
    assert describe_offset(-7200) == "2 h 0 min behind"
    assert describe_offset(3 * 86_400) == "3 d 0 h ahead"
    assert describe_offset(95) == "1 min 35 s ahead"
