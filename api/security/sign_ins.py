"""Whether the sign-in behind an access token is still open.

An access token is a signed JWT that stays valid until it expires, so on its own it would outlive a sign-out,
a reused refresh token or an erased account. Each request therefore also asks whether the token's sign-in (its
refresh-token family) still has a token that was not revoked, and whether its account still exists. The answer is
kept for a few seconds per sign-in, so several processes sharing one database agree within that time while the
database sees at most one small indexed query per sign-in and period.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import RefreshToken, User
from api.security.tokens import Principal

CHECK_SECONDS = 5.0


class SignInCheck:
    """Answers "is this sign-in still open?", asking the database at most once per `ttl_seconds` per sign-in."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        ttl_seconds: float = CHECK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._session_factory = session_factory
        self.ttl_seconds = ttl_seconds
        self.clock = clock
        self._answers: dict[uuid.UUID, tuple[float, uuid.UUID, bool]] = {}
        self._next_prune = 0.0

    async def is_open(self, principal: Principal) -> bool:
        now = self.clock()
        if now >= self._next_prune:
            self._prune(now)
        cached = self._answers.get(principal.sign_in_id)
        if cached is not None and now - cached[0] < self.ttl_seconds and cached[1] == principal.user_id:
            return cached[2]
        async with self._session_factory() as session:
            found = await session.scalar(
                select(RefreshToken.id)
                .join(User, User.id == RefreshToken.user_id)
                .where(
                    RefreshToken.family_id == principal.sign_in_id,
                    RefreshToken.user_id == principal.user_id,
                    RefreshToken.revoked_at.is_(None),
                    User.erased_at.is_(None),
                )
                .limit(1)
            )
        is_open = found is not None
        self._answers[principal.sign_in_id] = (now, principal.user_id, is_open)
        return is_open

    def forget_sign_in(self, sign_in_id: uuid.UUID) -> None:
        """Drop what this process remembers, so a sign-out here takes effect here at once."""
        self._answers.pop(sign_in_id, None)

    def forget_user(self, user_id: uuid.UUID) -> None:
        self._answers = {sid: answer for sid, answer in self._answers.items() if answer[1] != user_id}

    def _prune(self, now: float) -> None:
        self._answers = {sid: a for sid, a in self._answers.items() if now - a[0] < self.ttl_seconds}
        self._next_prune = now + self.ttl_seconds
