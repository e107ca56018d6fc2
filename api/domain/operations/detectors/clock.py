"""The time detectors compare with: the wall clock in production, one the test moves in tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from api.db.types import utc_now

Clock = Callable[[], datetime]

WALL_CLOCK: Clock = utc_now
