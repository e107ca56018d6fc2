"""Each charger's own clock as seen from here: its estimated offset from ours, and its timestamps placed on our
timeline.

Chargers' clocks are often wrong: minutes or hours off, in the wrong zone, or back at 1970 after a power cut
until they sync. A charger timestamp is therefore never compared with a time the server stamped. Instead:

- the offset (charger clock minus ours) is estimated from the timestamps a charger sends and when they
  arrive. A message cannot arrive before it was stamped, so the largest difference seen is the best estimate
  and a larger one moves the estimate up at once (the charger's clock jumped forward). A replayed, queued
  message shows a smaller difference; only `JUMP_CONFIRMATIONS` messages in a row that agree with each other
  on a difference much smaller than the estimate move it down (the clock was set back), since queued replays
  stamped at different moments do not agree with each other;
- a timestamp is *placed* on our timeline by removing that offset (when it is more than `NEGLIGIBLE_SECONDS`),
  so a charger two hours behind still books its readings at the moment they happened, and a replay keeps its
  own, earlier moment;
- a placed time that is absurd (before the charger was provisioned, or further ahead of its arrival than the
  configured margin) is replaced by the arrival time, and the charger is logged once, not once per message.

The raw timestamp stays the identity of a report (a replayed sample or start is recognised by it); the placed
time is what orders reports, bills and is shown.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Final

logger = logging.getLogger(__name__)

NEGLIGIBLE_SECONDS: Final = 1.0  # smaller offsets are network delay and clock jitter: the raw time is kept
JUMP_SECONDS: Final = 300.0  # a difference this much below the estimate may be a clock set back (or a replay)
JUMP_AGREEMENT_SECONDS: Final = 5.0  # messages of a set-back clock agree on their difference within this
JUMP_CONFIRMATIONS: Final = 3
DEFAULT_FUTURE_MARGIN_SECONDS: Final = 900.0


class ChargerClock:
    """The clock of one charger; `observe` what it stamps, `place` its timestamps on our timeline."""

    __slots__ = ("_candidates", "_warned", "charger_id", "future_margin", "offset", "provisioned_at")

    def __init__(
        self,
        charger_id: str,
        provisioned_at: datetime | None,
        *,
        offset_seconds: float | None = None,
        future_margin_seconds: float = DEFAULT_FUTURE_MARGIN_SECONDS,
    ) -> None:
        self.charger_id = charger_id
        self.provisioned_at = provisioned_at
        self.offset: float | None = offset_seconds
        self.future_margin = timedelta(seconds=future_margin_seconds)
        self._candidates: list[float] = []
        self._warned = False

    def observe(self, stamped: datetime, arrived: datetime) -> bool:
        """Learn from one message stamped by the charger at `stamped` that arrived at `arrived`; True when the
        estimated offset changed."""
        difference = (stamped - arrived).total_seconds()
        offset = self.offset
        if offset is None or difference > offset:
            self.offset = difference
            self._candidates.clear()
            return offset is None or difference - offset >= NEGLIGIBLE_SECONDS
        if difference >= offset - JUMP_SECONDS:
            self._candidates.clear()
            return False
        candidates = self._candidates
        if candidates and abs(candidates[0] - difference) > JUMP_AGREEMENT_SECONDS:
            candidates.clear()
        candidates.append(difference)
        if len(candidates) < JUMP_CONFIRMATIONS:
            return False
        self.offset = max(candidates)
        candidates.clear()
        logger.info(
            "charger %s: its clock was set back; now %s from ours", self.charger_id, describe_offset(self.offset)
        )
        return True

    def place(self, stamped: datetime, arrived: datetime) -> datetime:
        """`stamped` (charger clock) as a moment on our timeline; the arrival time when that moment is absurd."""
        offset = self.offset
        placed = stamped if offset is None or abs(offset) < NEGLIGIBLE_SECONDS else _shift(stamped, -offset)
        if (
            placed is None
            or placed > arrived + self.future_margin
            or (self.provisioned_at is not None and placed < self.provisioned_at)
        ):
            if not self._warned:
                self._warned = True
                logger.warning(
                    "charger %s sends absurd timestamps (%s, arrived %s); using arrival times until its clock is "
                    "sane again",
                    self.charger_id,
                    stamped.isoformat(),
                    arrived.isoformat(),
                )
            return arrived
        if self._warned:
            self._warned = False
            logger.info("charger %s: its timestamps are sane again", self.charger_id)
        return placed


def _shift(moment: datetime, seconds: float) -> datetime | None:
    try:
        return moment + timedelta(seconds=seconds)
    except OverflowError:
        return None


def describe_offset(seconds: float | None) -> str:
    """A clock offset for people: '2 h 0 min behind', '3 d 0 h ahead', 'in sync'."""
    if seconds is None:
        return "unknown"
    if abs(seconds) < NEGLIGIBLE_SECONDS:
        return "in sync"
    direction = "ahead" if seconds > 0 else "behind"
    left = round(abs(seconds))
    days, left = divmod(left, 86_400)
    hours, left = divmod(left, 3_600)
    minutes, secs = divmod(left, 60)
    if days:
        text = f"{days} d {hours} h"
    elif hours:
        text = f"{hours} h {minutes} min"
    elif minutes:
        text = f"{minutes} min {secs} s"
    else:
        text = f"{secs} s"
    return f"{text} {direction}"


__all__ = ["DEFAULT_FUTURE_MARGIN_SECONDS", "ChargerClock", "describe_offset"]
