"""Tokens, password hashing and the request counters behind the rate limits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from api.security.passwords import PasswordHashing
from api.security.rate_limit import FixedWindowLimiter
from api.security.tokens import AccessTokenIssuer, InvalidToken, hash_opaque_token, new_opaque_token

KEY = "unit-test-key-unit-test-key-unit-test-key"


def test_access_token_round_trip_carries_the_role() -> None:
    issuer = AccessTokenIssuer(KEY, 900)
    user = uuid.uuid4()
    principal = issuer.verify(issuer.issue(user, "agent", uuid.uuid4()))
    assert principal.user_id == user
    assert principal.role == "agent"


def test_expired_and_foreign_tokens_are_refused() -> None:
    issuer = AccessTokenIssuer(KEY, 900)
    old = issuer.issue(uuid.uuid4(), "driver", uuid.uuid4(), now=datetime.now(UTC) - timedelta(hours=1))
    with pytest.raises(InvalidToken, match="expired"):
        issuer.verify(old)
    foreign = AccessTokenIssuer("x" * 40, 900).issue(uuid.uuid4(), "admin", uuid.uuid4())
    with pytest.raises(InvalidToken, match="not valid"):
        issuer.verify(foreign)
    with pytest.raises(InvalidToken):
        issuer.verify("not.a.jwt")


def test_opaque_tokens_are_random_and_only_their_hash_is_kept() -> None:
    token, digest = new_opaque_token()
    other, _ = new_opaque_token()
    assert token != other
    assert len(token) >= 40
    assert digest == hash_opaque_token(token)
    assert token not in digest


async def test_password_hashing_verifies_and_resists_mismatch() -> None:
    hashing = PasswordHashing(time_cost=1, memory_kib=64)
    stored = await hashing.hash("a long enough password")
    assert stored.startswith("$argon2id$")
    assert await hashing.verify(stored, "a long enough password")
    assert not await hashing.verify(stored, "a long enough passworD")
    assert not await hashing.verify(None, "anything")
    assert not await hashing.verify("garbage", "anything")


def test_fixed_window_limiter() -> None:
    now = [1000.0]
    limiter = FixedWindowLimiter(3, 60, clock=lambda: now[0])
    assert [limiter.hit("a") for _ in range(3)] == [None, None, None]
    assert limiter.hit("a") == 60
    assert limiter.hit("b") is None  # keys are independent
    now[0] += 45
    assert limiter.hit("a") == 15
    now[0] += 15
    assert limiter.hit("a") is None  # a new window
    assert FixedWindowLimiter(0, 60).hit("a") is None  # 0 disables


def test_sign_in_delays_double_after_the_free_failures_up_to_the_cap() -> None:
    from api.security.login_throttle import LoginThrottle

    throttle = LoginThrottle(free_failures=3, quiet_seconds=900)
    assert [throttle.delay_seconds(n, 60) for n in range(11)] == [0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60]
    assert throttle.delay_seconds(10**6, 900) == 900  # no overflow however long someone guesses
    assert LoginThrottle(free_failures=0, quiet_seconds=900).delay_seconds(50, 60) == 0  # turned off
