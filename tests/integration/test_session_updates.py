"""Live session updates reach the apps watching them: in the same process, and on PostgreSQL in any other."""

from __future__ import annotations

import asyncio
import uuid

from prometheus_client import REGISTRY

from api.domain.sessions.updates import QUEUE_SIZE, SessionUpdates


def lag_count(path: str) -> float:
    return REGISTRY.get_sample_value("voltway_live_update_lag_seconds_count", {"path": path}) or 0.0


async def _until_listening(updates: SessionUpdates) -> None:
    for _ in range(100):
        if updates.listening:
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
        path = "relayed" if target is watcher else "local"
        taken_before = lag_count(path)
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
        assert lag_count(path) == taken_before + 2  # both updates timed from their publication, on `path`
    finally:
        await publisher.stop()
        await watcher.stop()


async def test_a_slow_reader_loses_old_updates_not_new_ones(database_url: str) -> None:
    updates = SessionUpdates(database_url)
    session_id = uuid.uuid4()
    dropped_before = REGISTRY.get_sample_value("voltway_live_updates_dropped_total") or 0.0
    async with updates.subscribe(session_id) as queue:
        for n in range(100):
            updates.publish(session_id, str(n).encode())
        received = [queue.get_nowait() for _ in range(queue.qsize())]
    assert received[-1] == b"99"
    assert len(received) == QUEUE_SIZE
    assert REGISTRY.get_sample_value("voltway_live_updates_dropped_total") == dropped_before + 100 - QUEUE_SIZE
