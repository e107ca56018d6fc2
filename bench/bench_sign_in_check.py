"""What checking that a token's sign-in is still open costs each signed-in request.

Baseline: verifying the access token's signature alone (what every request did before). Then the same plus the
sign-in check answered from memory (every request within 5 s of the sign-in's last question), and plus the
question to the database (the first request of a sign-in in each 5 s period).
SQLite in a temporary folder, one sign-in per simulated driver.
Usage: python bench/bench_sign_in_check.py [--requests N] [--drivers N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.db.engine import create_engine, create_session_factory
from api.db.migrate import upgrade
from api.db.models import RefreshToken, User
from api.db.types import utc_now
from api.security.sign_ins import SignInCheck
from api.security.tokens import AccessTokenIssuer, Principal

KEY = "benchmark-secret-key-benchmark-secret-key"


async def _time_per_call(call: Callable[[], Awaitable[object]], requests: int) -> float:
    started = time.perf_counter()
    for _ in range(requests):
        await call()
    return (time.perf_counter() - started) / requests * 1e6


async def run(requests: int, drivers: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite+aiosqlite:///{folder}/bench.db")
        await upgrade(engine)
        factory = create_session_factory(engine)
        issuer = AccessTokenIssuer(KEY, 900)
        tokens: list[str] = []
        async with factory() as session:
            users = [User(id=uuid.uuid4(), email=f"d{i}@example.com", name="") for i in range(drivers)]
            session.add_all(users)
            await session.flush()
            for user in users:
                family = uuid.uuid4()
                session.add(
                    RefreshToken(
                        user_id=user.id,
                        family_id=family,
                        token_hash=uuid.uuid4().hex + uuid.uuid4().hex,
                        expires_at=utc_now() + timedelta(days=1),
                    )
                )
                tokens.append(issuer.issue(user.id, "driver", family))
            await session.commit()
        cached = SignInCheck(factory, clock=lambda: 0.0)  # a frozen clock: every answer stays fresh
        uncached = SignInCheck(factory, ttl_seconds=0)
        turn = iter(range(10**12))

        def next_token() -> str:
            return tokens[next(turn) % len(tokens)]

        async def signature_only() -> Principal:
            return issuer.verify(next_token())

        async def with_cached_check() -> bool:
            return await cached.is_open(issuer.verify(next_token()))

        async def with_uncached_check() -> bool:
            return await uncached.is_open(issuer.verify(next_token()))

        for _ in tokens:  # every sign-in answered once, as after the first request of each
            await with_cached_check()
        results: dict[str, list[float]] = {"signature only": [], "+ remembered answer": [], "+ database question": []}
        for _ in range(rounds):  # interleaved, so a noisy neighbour hits every variant alike
            results["signature only"].append(await _time_per_call(signature_only, requests))
            results["+ remembered answer"].append(await _time_per_call(with_cached_check, requests))
            results["+ database question"].append(await _time_per_call(with_uncached_check, requests // 10))
        await engine.dispose()
    baseline = statistics.median(results["signature only"])
    print(f"{'per request':<22} {'median µs':>10} {'vs baseline':>12}")
    for name, values in results.items():
        median = statistics.median(values)
        print(f"{name:<22} {median:>10.1f} {median - baseline:>+11.1f}µs")
    print("a request pays the database question at most once per sign-in every 5 s, else the remembered answer")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--drivers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(run(args.requests, args.drivers, args.rounds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
