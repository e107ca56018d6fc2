"""OCPI pushes through the delivery outbox against a real HTTP receiver, on SQLite and PostgreSQL: sent with the
method and the partner's token headers, in order per object, flaps coalesced to the latest, refused pushes not
retried, and a partner's 401 holding its pushes (without using up attempts) until it is resumed."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from api.db.models import OutboundDelivery
from api.db.types import utc_now
from api.deliveries.partners import PartnerUnavailable
from api.deliveries.targets import Targets
from api.deliveries.worker import DeliveryWorker
from api.domain.ocpi.outbox import enqueue_ocpi
from tests.ocpi_push_receiver import FakeOcpiReceiver

BASE = 10.0


class FakePartners:
    """A fake of the OCPI partner store the worker asks for headers and holds (the real one is tested with the
    partner table)."""

    def __init__(self) -> None:
        self.suspended: set[uuid.UUID] = set()
        self.unauthorized_calls: list[uuid.UUID] = []

    async def headers(self, partner_id: uuid.UUID, delivery_id: uuid.UUID) -> dict[str, str]:
        if partner_id == UNKNOWN:
            raise PartnerUnavailable(f"no OCPI partner {partner_id}")
        return {"Authorization": f"Token token-b-of-{partner_id}", "X-Correlation-ID": str(delivery_id)}

    def held(self, partner_column: InstrumentedAttribute[uuid.UUID | None]) -> ColumnElement[bool]:
        return partner_column.in_(list(self.suspended) or [uuid.UUID(int=0)])

    async def unauthorized(self, partner_id: uuid.UUID) -> None:
        self.unauthorized_calls.append(partner_id)
        self.suspended.add(partner_id)


PARTNER = uuid.UUID("00000000-0000-4000-8000-000000000001")
OTHER = uuid.UUID("00000000-0000-4000-8000-000000000002")
UNKNOWN = uuid.UUID("00000000-0000-4000-8000-00000000dead")


@pytest.fixture
async def receiver() -> AsyncIterator[FakeOcpiReceiver]:
    server = await FakeOcpiReceiver().start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def worker(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[DeliveryWorker]:
    sender = DeliveryWorker(
        sessions, Targets(), max_attempts=5, backoff_seconds=BASE, backoff_cap_seconds=600, partners=FakePartners()
    )
    try:
        yield sender
    finally:
        await sender.stop()


def partners_of(worker: DeliveryWorker) -> FakePartners:
    assert isinstance(worker.partners, FakePartners)
    return worker.partners


async def push_status(
    sessions: async_sessionmaker[AsyncSession],
    url: str,
    status: str,
    *,
    evse: str = "EVSE-1",
    partner: uuid.UUID = PARTNER,
    coalesce: bool = True,
) -> None:
    async with sessions() as session:
        await enqueue_ocpi(
            session,
            partner_id=partner,
            kind="ocpi.evse_status",
            method="PATCH",
            url=f"{url}/locations/NL/VWY/LOC-1/{evse}",
            body={"status": status, "last_updated": utc_now().isoformat()},
            object_key=f"evse:{evse}",
            coalesce=coalesce,
        )
        await session.commit()


async def rows(sessions: async_sessionmaker[AsyncSession]) -> list[OutboundDelivery]:
    async with sessions() as session:
        query = select(OutboundDelivery).order_by(OutboundDelivery.created_at)
        return list((await session.execute(query)).scalars())


def statuses(receiver: FakeOcpiReceiver) -> list[str]:
    return [request.json()["status"] for request in receiver.requests]


async def test_a_push_goes_with_its_method_body_and_the_partners_token(
    sessions: async_sessionmaker[AsyncSession], receiver: FakeOcpiReceiver, worker: DeliveryWorker
) -> None:
    await push_status(sessions, receiver.url, "CHARGING")
    assert await worker.run_once() == 1
    [request] = receiver.requests
    assert (request.method, request.path) == ("PATCH", "/ocpi/emsp/2.2.1/locations/NL/VWY/LOC-1/EVSE-1")
    assert request.headers["authorization"] == f"Token token-b-of-{PARTNER}"
    assert "x-voltway-signature" not in request.headers
    assert request.json()["status"] == "CHARGING"
    [row] = await rows(sessions)
    assert (row.status, row.method, row.ocpi_partner_id, row.last_status_code) == ("delivered", "PATCH", PARTNER, 200)


async def test_a_running_worker_sends_a_push_when_its_transaction_commits(
    sessions: async_sessionmaker[AsyncSession], receiver: FakeOcpiReceiver
) -> None:
    sender = DeliveryWorker(
        sessions,
        Targets(),
        max_attempts=5,
        backoff_seconds=BASE,
        backoff_cap_seconds=600,
        poll_seconds=3600,
        partners=FakePartners(),
    )
    sender.start()
    try:
        await push_status(sessions, receiver.url, "AVAILABLE")
        await receiver.wait_for(lambda requests: len(requests) == 1)
    finally:
        await sender.stop()


async def test_pushes_for_one_object_arrive_in_order_even_when_the_first_fails(
    sessions: async_sessionmaker[AsyncSession], receiver: FakeOcpiReceiver, worker: DeliveryWorker
) -> None:
    receiver.answers = ["500"]
    async with sessions() as session:
        for n, method in enumerate(["PUT", "PATCH", "PATCH"]):
            await enqueue_ocpi(
                session,
                partner_id=PARTNER,
                kind="ocpi.session",
                method=method,
                url=f"{receiver.url}/sessions/NL/VWY/S-1",
                body={"n": n},
                object_key="session:S-1",
            )
        await push_status(sessions, receiver.url, "CHARGING", evse="EVSE-9")  # another object is not held up
        await session.commit()
    now = utc_now()
    await worker.run_once(now)
    assert sorted(r.method for r in receiver.requests) == ["PATCH", "PUT"]  # the failed PUT and the other EVSE
    assert await worker.run_once(now) == 0  # the session's later updates wait behind the failed first one
    first = next(row for row in await rows(sessions) if row.object_key == "session:S-1")
    await worker.run_once(first.next_attempt_at)
    assert [r.json() for r in receiver.requests if r.path.endswith("S-1")] == [{"n": 0}, {"n": 0}, {"n": 1}, {"n": 2}]
    assert {row.status for row in await rows(sessions)} == {"delivered"}


async def test_status_flaps_while_the_receiver_is_down_arrive_as_the_latest_only(
    sessions: async_sessionmaker[AsyncSession], receiver: FakeOcpiReceiver, worker: DeliveryWorker
) -> None:
    await receiver.stop()
    await push_status(sessions, receiver.url, "CHARGING")
    now = utc_now()
    await worker.run_once(now)  # refused connection: retried later
    for status in ["AVAILABLE", "CHARGING", "BLOCKED", "AVAILABLE"]:
        await push_status(sessions, receiver.url, status)
    await push_status(sessions, receiver.url, "OUTOFORDER", evse="EVSE-2")
    assert len(await rows(sessions)) == 2  # one per EVSE
    await receiver.start()
    await worker.run_once(now + timedelta(seconds=1))
    assert sorted(statuses(receiver)) == ["AVAILABLE", "OUTOFORDER"]


async def test_a_refused_push_is_not_retried(
    sessions: async_sessionmaker[AsyncSession], receiver: FakeOcpiReceiver, worker: DeliveryWorker
) -> None:
    receiver.answers = ["2001"]
    await push_status(sessions, receiver.url, "CHARGING")
    await worker.run_once()
    [row] = await rows(sessions)
    assert (row.status, row.attempts) == ("dead", 1)
    assert row.last_error == "OCPI 2001: Invalid or missing parameters"


async def test_after_a_401_the_partner_is_held_without_using_attempts_until_resumed(
    sessions: async_sessionmaker[AsyncSession], receiver: FakeOcpiReceiver, worker: DeliveryWorker
) -> None:
    receiver.default = "401"
    other = await FakeOcpiReceiver().start()
    try:
        await push_status(sessions, receiver.url, "CHARGING", coalesce=False)
        await push_status(sessions, receiver.url, "AVAILABLE", evse="EVSE-2")
        await push_status(sessions, other.url, "FINISHING", partner=OTHER)
        now = utc_now()
        await worker.run_once(now)
    finally:
        await other.stop()
    assert partners_of(worker).suspended == {PARTNER}
    assert len(other.requests) == 1  # another partner is not held up
    tried = len(receiver.requests)
    for later in (now, now + timedelta(hours=1), now + timedelta(days=3)):
        assert await worker.run_once(later) == 0
    assert len(receiver.requests) == tried
    held = [row for row in await rows(sessions) if row.ocpi_partner_id == PARTNER]
    assert [(row.status, row.attempts) for row in held] == [("pending", 0), ("pending", 0)]
    assert held[0].last_status_code == 401

    receiver.default = "ok"
    partners_of(worker).suspended.clear()  # the partner updated its credentials
    await push_status(sessions, receiver.url, "CHARGING", coalesce=False)
    assert await worker.run_once(now + timedelta(days=3)) == 3
    sent = receiver.requests[tried:]
    assert [r.json()["status"] for r in sent if r.path.endswith("EVSE-1")] == ["CHARGING", "CHARGING"]
    assert [r.json()["status"] for r in sent if r.path.endswith("EVSE-2")] == ["AVAILABLE"]
    assert {row.status for row in await rows(sessions)} == {"delivered"}


async def test_a_push_to_an_unknown_partner_fails_and_retries(
    sessions: async_sessionmaker[AsyncSession], receiver: FakeOcpiReceiver, worker: DeliveryWorker
) -> None:
    await push_status(sessions, receiver.url, "CHARGING", partner=UNKNOWN)
    await worker.run_once()
    [row] = await rows(sessions)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, f"no OCPI partner {UNKNOWN}")
    assert receiver.requests == []


@pytest.mark.parametrize(
    ("method", "url", "object_key", "coalesce", "message"),
    [
        ("GET", "http://x/y", None, False, "PUT, PATCH or POST"),
        ("PUT", "/relative", None, False, r"absolute http\(s\) URL"),
        ("PUT", "http://x/y", None, True, "object_key"),
    ],
)
async def test_bad_pushes_are_refused_with_a_clear_message(
    sessions: async_sessionmaker[AsyncSession],
    method: str,
    url: str,
    object_key: str | None,
    coalesce: bool,
    message: str,
) -> None:
    async with sessions() as session:
        with pytest.raises(ValueError, match=message):
            await enqueue_ocpi(
                session,
                partner_id=PARTNER,
                kind="ocpi.x",
                method=method,
                url=url,
                body={},
                object_key=object_key,
                coalesce=coalesce,
            )
