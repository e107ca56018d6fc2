"""Named counters hand out each value once, even when many transactions take the first one at the same time."""

from __future__ import annotations

import asyncio

from api.db.engine import create_engine, create_session_factory
from api.domain.stations.store import bump_counter


async def test_first_use_by_many_transactions_at_once(database_url: str) -> None:
    engine = create_engine(database_url)
    factory = create_session_factory(engine)

    async def take() -> int:
        async with factory() as session, session.begin():
            return await bump_counter(session, "test-first-use")

    try:
        values = await asyncio.gather(*(take() for _ in range(8)))
    finally:
        await engine.dispose()
    assert sorted(values) == list(range(1, 9))
