"""The outbound delivery outbox against a real HTTP receiver, on SQLite and PostgreSQL: a delivery exists only if
its transaction committed, keeps its id on every retry (so the receiver processes it once), is signed, backs off
while the receiver is down, dies after the last attempt, and is never sent twice by two workers at once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.engine import create_engine, create_session_factory
from api.db.models import OutboundDelivery
from api.db.types import utc_now
from api.deliveries.targets import Target, Targets
from api.deliveries.worker import DeliveryWorker
from tests.deliveries_receiver import Receiver

SECRET = "a-webhook-secret-of-the-receiver"
BASE = 10.0
CAP = 600.0


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = await Receiver(SECRET).start()
    try:
        yield server
    finally:
        await server.stop()


def worker_for(
    sessions: async_sessionmaker[AsyncSession],
    url: str,
    *,
    max_attempts: int = 5,
    poll_seconds: float = 2.0,
    timeout: float = 10.0,
) -> DeliveryWorker:
    targets = Targets()
    targets.register(Target("support_webhook", url, SECRET))
    return DeliveryWorker(
        sessions,
        targets,
        max_attempts=max_attempts,
        backoff_seconds=BASE,
        backoff_cap_seconds=CAP,
        poll_seconds=poll_seconds,
        timeout_seconds=timeout,
    )


async def enqueue_one(
    sessions: async_sessionmaker[AsyncSession], worker: DeliveryWorker, number: int = 42
) -> uuid.UUID:
    async with sessions() as session:
        delivery = worker.enqueue(
            session, "support.ticket_urgent", "support_webhook", None, {"number": f"T-{number:06d}"}
        )
        await session.commit()
        return delivery.id


async def row(sessions: async_sessionmaker[AsyncSession], delivery_id: uuid.UUID) -> OutboundDelivery:
    async with sessions() as session:
        return (await session.execute(select(OutboundDelivery).where(OutboundDelivery.id == delivery_id))).scalar_one()


@pytest.mark.parametrize("first_answer", ["drop", "500", "hang"])
async def test_an_unanswered_delivery_comes_again_with_its_id_and_is_processed_once(
    sessions: async_sessionmaker[AsyncSession], receiver: Receiver, first_answer: str
) -> None:
    receiver.answers = [first_answer]
    worker = worker_for(sessions, receiver.url, timeout=1.0)  # "hang" never answers: the attempt times out
    try:
        delivery_id = await enqueue_one(sessions, worker)
        now = utc_now()
        assert await worker.run_once(now) == 1
        waiting = await row(sessions, delivery_id)
        assert (waiting.status, waiting.attempts) == ("pending", 1)
        assert now + timedelta(seconds=BASE / 2) <= waiting.next_attempt_at <= now + timedelta(seconds=BASE)
        assert await worker.run_once(now) == 0  # not due again before its backoff

        assert await worker.run_once(waiting.next_attempt_at) == 1
        done = await row(sessions, delivery_id)
        assert (done.status, done.attempts, done.last_status_code) == ("delivered", 2, 200)
    finally:
        await worker.stop()

    assert [r.delivery_id for r in receiver.requests] == [str(delivery_id), str(delivery_id)]
    assert all(r.signed for r in receiver.requests)
    assert {r.kind for r in receiver.requests} == {"support.ticket_urgent"}
    assert receiver.processed == {str(delivery_id): {"number": "T-000042"}}


async def test_a_receiver_down_for_a_while_gets_it_after_backoff(
    sessions: async_sessionmaker[AsyncSession], receiver: Receiver
) -> None:
    await receiver.stop()  # its port refuses connections now
    worker = worker_for(sessions, receiver.url)
    try:
        delivery_id = await enqueue_one(sessions, worker)
        now = utc_now()
        delays = []
        for _ in range(3):
            await worker.run_once(now)
            waiting = await row(sessions, delivery_id)
            assert waiting.status == "pending"
            assert "Connect" in (waiting.last_error or "")
            delays.append((waiting.next_attempt_at - now).total_seconds())
            now = waiting.next_attempt_at
        # base, twice the base, four times the base: each with jitter between half and all of it
        assert BASE / 2 <= delays[0] <= BASE
        assert BASE <= delays[1] <= 2 * BASE
        assert 2 * BASE <= delays[2] <= 4 * BASE
        await receiver.start()
        assert await worker.run_once(now) == 1
        assert (await row(sessions, delivery_id)).status == "delivered"
    finally:
        await worker.stop()
    assert list(receiver.processed) == [str(delivery_id)]


async def test_dead_after_the_last_attempt(sessions: async_sessionmaker[AsyncSession], receiver: Receiver) -> None:
    receiver.answers = ["500"] * 10
    worker = worker_for(sessions, receiver.url, max_attempts=3)
    try:
        delivery_id = await enqueue_one(sessions, worker)
        later = utc_now()
        for _ in range(5):
            await worker.run_once(later)
            later += timedelta(seconds=CAP)
    finally:
        await worker.stop()
    dead = await row(sessions, delivery_id)
    assert (dead.status, dead.attempts, dead.last_status_code, dead.last_error) == ("dead", 3, 500, "HTTP 500")
    assert len(receiver.requests) == 3


async def test_nothing_is_sent_for_a_change_that_rolled_back(
    sessions: async_sessionmaker[AsyncSession], receiver: Receiver
) -> None:
    worker = worker_for(sessions, receiver.url)
    try:
        async with sessions() as session:
            worker.enqueue(session, "support.ticket_urgent", "support_webhook", None, {"number": "T-000001"})
            await session.rollback()
        assert await worker.run_once(utc_now() + timedelta(days=1)) == 0
    finally:
        await worker.stop()
    assert receiver.requests == []


async def test_the_worker_wakes_when_the_enqueuing_transaction_commits(
    sessions: async_sessionmaker[AsyncSession], receiver: Receiver
) -> None:
    worker = worker_for(sessions, receiver.url, poll_seconds=3600)  # only the commit can wake it in time
    worker.start()
    try:
        delivery_id = await enqueue_one(sessions, worker)
        await asyncio.wait_for(receiver.arrived.wait(), timeout=20)
    finally:
        await worker.stop()
    assert list(receiver.processed) == [str(delivery_id)]


async def test_two_workers_never_send_one_delivery_twice(database_url: str, receiver: Receiver) -> None:
    engines = [create_engine(database_url), create_engine(database_url)]
    workers = [worker_for(create_session_factory(engine), receiver.url) for engine in engines]
    try:
        sessions = create_session_factory(engines[0])
        async with sessions() as session:
            ids = [
                workers[0].enqueue(session, "support.sla_warning", "support_webhook", None, {"n": n}).id
                for n in range(60)
            ]
            await session.commit()
        now = utc_now()
        made = await asyncio.gather(*(worker.run_once(now) for worker in workers for _ in range(2)))
        assert sum(made) == 60
        async with sessions() as session:
            statuses = (await session.execute(select(OutboundDelivery.status))).scalars().all()
        assert set(statuses) == {"delivered"}
    finally:
        for worker in workers:
            await worker.stop()
        for engine in engines:
            await engine.dispose()
    assert receiver.counts() == dict.fromkeys(map(str, ids), 1)
