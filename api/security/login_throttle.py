"""Progressive sign-in delays per email address and per client address, instead of locking accounts.

A hard lock after N failures lets anyone lock any driver out. Here the first failures are free; after that each
failure makes the next attempt wait twice as long (1 s, 2 s, 4 s ...), up to a cap: short for an account, so its
owner always gets in after a bounded wait, and long for a client address, so one guesser slows itself down far
more than the account. Attempts during a delay are answered 429 with Retry-After and are neither checked nor
counted. Failures are forgotten after a quiet period. Counts live in the database so every process agrees, keyed
by hashes so the table holds no address in the clear; addresses without an account count exactly like others.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from datetime import datetime, timedelta

import msgspec
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import LoginFailure


class ThrottleKey(msgspec.Struct, frozen=True):
    """One counter: its hashed key and the longest delay it may impose."""

    key: str
    max_delay_seconds: float


def account_key(email: str, max_delay_seconds: float) -> ThrottleKey:
    return ThrottleKey("account:" + hashlib.sha256(email.encode("utf-8")).hexdigest(), max_delay_seconds)


def client_key(address: str, max_delay_seconds: float) -> ThrottleKey:
    return ThrottleKey("client:" + hashlib.sha256(address.encode("utf-8")).hexdigest(), max_delay_seconds)


class LoginThrottle:
    """Delay after `free_failures` failures, doubling per failure up to each key's cap."""

    def __init__(self, free_failures: int, quiet_seconds: float) -> None:
        self.free_failures = free_failures
        self.quiet_seconds = quiet_seconds

    def delay_seconds(self, failures: int, max_delay_seconds: float) -> float:
        """The wait after `failures` failures in a row."""
        if self.free_failures <= 0 or failures < self.free_failures:
            return 0.0
        return float(min(max_delay_seconds, 2.0 ** min(failures - self.free_failures, 30)))

    def _forgotten(self, row: LoginFailure, cap: float, now: datetime) -> bool:
        ends = row.last_failed_at + timedelta(seconds=self.delay_seconds(row.failures, cap) + self.quiet_seconds)
        return now >= ends

    async def wait_seconds(self, session: AsyncSession, keys: Sequence[ThrottleKey], now: datetime) -> int:
        """Whole seconds until an attempt is allowed for every key; 0 when it is allowed now."""
        if self.free_failures <= 0:
            return 0
        caps = {k.key: k.max_delay_seconds for k in keys}
        rows = (await session.execute(select(LoginFailure).where(LoginFailure.key.in_(caps)))).scalars()
        wait = 0.0
        for row in rows:
            until = row.last_failed_at + timedelta(seconds=self.delay_seconds(row.failures, caps[row.key]))
            wait = max(wait, (until - now).total_seconds())
        return math.ceil(wait) if wait > 0 else 0

    async def record_failure(self, session: AsyncSession, keys: Sequence[ThrottleKey], now: datetime) -> None:
        """Count one failure for every key (a fresh count once the previous ones are forgotten); not committed."""
        if self.free_failures <= 0:
            return
        caps = {k.key: k.max_delay_seconds for k in keys}
        rows = {
            row.key: row
            for row in (await session.execute(select(LoginFailure).where(LoginFailure.key.in_(caps)))).scalars()
        }
        dialect = session.get_bind().dialect.name
        for key, cap in caps.items():
            row = rows.get(key)
            restart = row is None or self._forgotten(row, cap, now)
            values = {"key": key, "failures": 1, "last_failed_at": now}
            changes = {"failures": 1 if restart else LoginFailure.failures + 1, "last_failed_at": now}
            if dialect == "postgresql":
                pg = postgresql.insert(LoginFailure).values(values)
                await session.execute(pg.on_conflict_do_update(index_elements=[LoginFailure.key], set_=changes))
            else:
                lite = sqlite.insert(LoginFailure).values(values)
                await session.execute(lite.on_conflict_do_update(index_elements=[LoginFailure.key], set_=changes))
        # Forget counters nobody has touched for longer than any delay plus the quiet period.
        longest = max(caps.values(), default=0.0) + self.quiet_seconds
        await session.execute(
            delete(LoginFailure).where(LoginFailure.last_failed_at < now - timedelta(seconds=longest))
        )

    async def clear(self, session: AsyncSession, key: ThrottleKey) -> None:
        """After a successful sign-in the account starts afresh (the client address does not); not committed."""
        await session.execute(delete(LoginFailure).where(LoginFailure.key == key.key))
