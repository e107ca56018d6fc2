"""Live session updates reach the apps watching them: in the same process, and on PostgreSQL in any other."""

from __future__ import annotations

import asyncio
import uuid

from api.domain.sessions.updates import SessionUpdates


async def _until_listening(updates: SessionUpdates) -> None:
    for _ in range(100):
        if updates._connection is not None or updates._dsn is None:
            return
        await asyncio.sleep(0.05)


async def test_an_update_reaches_subscribers_and_the_stream_ends_with_the_session(database_url: str) -> None:
    publisher = SessionUpdates(database_url)
    watcher = SessionUpdates(database_url)  # another process, when the database is PostgreSQL
    await publisher.start()
    await watcher.start()
    try:
        await _until_listening(publisher)
        await _until_listening(watcher)
        session_id = uuid.uuid4()
        other_session = uuid.uuid4()
        # on SQLite there is one process: the app watches through the publishing one
        target = watcher if database_url.startswith("postgresql") else publisher
        async with target.subscribe(session_id) as queue:
            publisher.publish(other_session, b'{"id": "other"}')
            publisher.publish(session_id, b'{"energyKwh": "1.5"}')
            first = await asyncio.wait_for(queue.get(), 2)
            assert first == b'{"energyKwh": "1.5"}'
            assert target.latest(session_id) == b'{"energyKwh": "1.5"}'
            publisher.publish(session_id, b'{"status": "completed"}', final=True)
            assert await asyncio.wait_for(queue.get(), 2) == b'{"status": "completed"}'
            assert await asyncio.wait_for(queue.get(), 2) is None  # the stream ends
            assert target.latest(session_id) is None
            assert queue.empty()
    finally:
        await publisher.stop()
        await watcher.stop()


async def test_a_slow_reader_loses_old_updates_not_new_ones(database_url: str) -> None:
    updates = SessionUpdates(database_url)
    session_id = uuid.uuid4()
    async with updates.subscribe(session_id) as queue:
        for n in range(100):
            updates.publish(session_id, str(n).encode())
        received = [queue.get_nowait() for _ in range(queue.qsize())]
    assert received[-1] == b"99"
    assert len(received) < 100
