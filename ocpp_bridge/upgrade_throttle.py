"""Throttling of password guesses at the websocket upgrade, per client address and per charge point identity.

Each address and each identity holds a bucket of attempts that refills slowly. An address that spent its bucket on
wrong passwords is refused (429) before its credentials are checked, for a few seconds per further attempt; a
guesser on one address is stopped there without holding back the identity it aims at. An identity spends one
attempt per check and gets it all back on the right password; once guesses (from many addresses) have emptied it,
it gets one check per refill, so its real charger waits at most that long for a check and is let in by the right
password.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Final

MAX_TRACKED: Final = 100_000


class FailureBudget:
    """Allowed failures per key: ``burst`` at once, then one more every ``refill_seconds``."""

    __slots__ = ("_buckets", "_clock", "burst", "max_tracked", "refill_seconds")

    def __init__(
        self,
        burst: int,
        refill_seconds: float,
        *,
        max_tracked: int = MAX_TRACKED,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.burst = burst
        self.refill_seconds = refill_seconds
        self.max_tracked = max_tracked
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def _tokens(self, key: str, moment: float) -> float:
        bucket = self._buckets.get(key)
        if bucket is None:
            return float(self.burst)
        tokens, at = bucket
        return min(float(self.burst), tokens + (moment - at) / self.refill_seconds)

    def wait(self, key: str) -> float:
        """0 when ``key`` has an attempt left now, else the seconds until it has."""
        tokens = self._tokens(key, self._clock())
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) * self.refill_seconds

    def take(self, key: str) -> None:
        """Spend one attempt."""
        self._put(key, -1.0)

    def reset(self, key: str) -> None:
        self._buckets.pop(key, None)

    def _put(self, key: str, change: float) -> None:
        moment = self._clock()
        tokens = min(float(self.burst), max(0.0, self._tokens(key, moment) + change))
        self._buckets.pop(key, None)  # re-inserted last: the dict stays in order of last change
        self._buckets[key] = (tokens, moment)
        if len(self._buckets) > self.max_tracked:
            self._prune(moment)

    def __len__(self) -> int:
        return len(self._buckets)

    def _prune(self, moment: float) -> None:
        """Forget full buckets; if that is not enough, the keys that failed longest ago."""
        for key in [k for k in self._buckets if self._tokens(k, moment) >= self.burst]:
            del self._buckets[key]
        excess = len(self._buckets) - self.max_tracked // 2
        if excess > 0:
            for key in list(self._buckets)[:excess]:
                del self._buckets[key]


class UpgradeThrottle:
    """Decides whether an upgrade may have its credentials checked, and learns from each check's outcome."""

    __slots__ = ("addresses", "chargers")

    def __init__(
        self,
        *,
        address_burst: int,
        address_refill_seconds: float,
        charger_burst: int,
        charger_refill_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.addresses = FailureBudget(address_burst, address_refill_seconds, clock=clock)
        self.chargers = FailureBudget(charger_burst, charger_refill_seconds, clock=clock)

    def admit(self, address: str, charger_id: str) -> int:
        """0 when the credentials may be checked now, else whole seconds to wait (for a Retry-After header).

        The identity's attempt is spent at once, so concurrent guesses at one identity cannot all pass. The address
        is charged for a wrong password and for pressing on while its identity waits, not for a check in flight,
        so a reconnect storm of chargers behind one address is not refused.
        """
        if (wait := self.addresses.wait(address)) > 0:
            return max(1, math.ceil(wait))
        if (wait := self.chargers.wait(charger_id)) > 0:
            self.addresses.take(address)
            return max(1, math.ceil(wait))
        self.chargers.take(charger_id)
        return 0

    def failed(self, address: str) -> None:
        self.addresses.take(address)

    def succeeded(self, charger_id: str) -> None:
        """The right password: the identity's guesses are forgotten."""
        self.chargers.reset(charger_id)
