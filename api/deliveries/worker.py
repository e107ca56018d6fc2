"""Sending due deliveries: claim, POST signed JSON, record the outcome, back off and retry, give up when dead.

A claim moves the row's next attempt a lease into the future and counts the attempt, in one short transaction
(PostgreSQL: `FOR UPDATE SKIP LOCKED`, so processes claiming at once take different rows; every backend: the
update only succeeds while the row still has the attempt count that was read). The POST happens after that
commit, so no transaction stays open during network I/O; if the process dies mid-send, the row is due again when
the lease ends. An outcome is written only by the attempt that claimed it.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final

import httpx
import msgspec
from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import OutboundDelivery
from api.db.types import utc_now
from api.deliveries import signing
from api.deliveries.outbox import enqueue
from api.deliveries.targets import Targets
from api.periodic import Periodic

logger = logging.getLogger(__name__)

POLL_SECONDS: Final = 2.0  # how soon a delivery another process enqueued (or a due retry) is noticed
BATCH: Final = 20


def retry_delay(attempt: int, base: float, cap: float, rng: Callable[[], float] = random.random) -> float:
    """Seconds before the attempt after `attempt` (1 = the first failed): base, 2 base, 4 base ... up to `cap`,
    each between half and all of that (jitter, so deliveries failed together do not return together)."""
    full = min(cap, base * float(2 ** min(attempt - 1, 32)))
    return full / 2 + rng() * full / 2


class _Claimed(msgspec.Struct, frozen=True):
    id: uuid.UUID
    attempt: int
    kind: str
    target: str
    url: str
    payload: Any


class DeliveryWorker:
    """The outbox's sender: `enqueue` in a transaction; after its commit the worker wakes and sends."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        targets: Targets,
        *,
        max_attempts: int,
        backoff_seconds: float,
        backoff_cap_seconds: float,
        timeout_seconds: float = 10.0,
        poll_seconds: float = POLL_SECONDS,
        clock: Callable[[], datetime] = utc_now,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._session_factory = session_factory
        self.targets = targets
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.backoff_cap_seconds = backoff_cap_seconds
        self.timeout_seconds = timeout_seconds
        self.lease = timedelta(seconds=timeout_seconds + 30)
        self._clock = clock
        self._rng = rng
        self._client: httpx.AsyncClient | None = None
        self._periodic = Periodic("outbound-deliveries", poll_seconds, self.run_once_quietly)

    # ----- enqueueing ---------------------------------------------------------------------------

    def enqueue(
        self, db_session: AsyncSession, kind: str, target: str, url: str | None, payload: dict[str, Any]
    ) -> OutboundDelivery:
        """Add a delivery to `target` (at `url`, or the target's own address) to the caller's transaction; the
        worker wakes when that transaction commits. Raises UnknownTarget for a target not configured."""
        address = url or self.targets.require(target).url
        delivery = enqueue(db_session, kind, target, address, payload, now=self._clock())
        event.listen(db_session.sync_session, "after_commit", self._after_commit, once=True)
        return delivery

    def _after_commit(self, _session: object) -> None:
        self.wake()

    def wake(self) -> None:
        self._periodic.wake()

    def start(self) -> None:
        self._periodic.start()

    async def stop(self) -> None:
        await self._periodic.stop()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # ----- sending ------------------------------------------------------------------------------

    async def run_once_quietly(self) -> None:
        await self.run_once()

    async def run_once(self, now: datetime | None = None) -> int:
        """Send every delivery due at `now` (default: the clock); the number of attempts made."""
        moment = now or self._clock()
        made = 0
        while True:
            claimed = await self._claim(moment)
            if claimed:
                await asyncio.gather(*(self._attempt(item, moment) for item in claimed))
                made += len(claimed)
            if len(claimed) < BATCH:
                return made

    async def _claim(self, now: datetime) -> list[_Claimed]:
        async with self._session_factory() as session, session.begin():
            query = (
                select(
                    OutboundDelivery.id,
                    OutboundDelivery.attempts,
                    OutboundDelivery.kind,
                    OutboundDelivery.target,
                    OutboundDelivery.url,
                    OutboundDelivery.payload,
                )
                .where(OutboundDelivery.status == "pending", OutboundDelivery.next_attempt_at <= now)
                .order_by(OutboundDelivery.next_attempt_at)
                .limit(BATCH)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            claimed: list[_Claimed] = []
            for row in (await session.execute(query)).all():
                taken = await session.execute(
                    update(OutboundDelivery)
                    .where(
                        OutboundDelivery.id == row.id,
                        OutboundDelivery.status == "pending",
                        OutboundDelivery.attempts == row.attempts,
                    )
                    .values(attempts=row.attempts + 1, next_attempt_at=now + self.lease)
                )
                if getattr(taken, "rowcount", 0) == 1:
                    claimed.append(_Claimed(row.id, row.attempts + 1, row.kind, row.target, row.url, row.payload))
            return claimed

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout_seconds, follow_redirects=False)
        return self._client

    async def _attempt(self, item: _Claimed, now: datetime) -> None:
        status_code: int | None = None
        error: str | None = None
        target = self.targets.get(item.target)
        if target is None:
            error = f"no delivery target named {item.target!r} is configured"
        else:
            body = msgspec.json.encode(item.payload)
            timestamp = str(int(utc_now().timestamp()))
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "Voltway-Delivery/1",
                signing.DELIVERY_ID: str(item.id),
                signing.DELIVERY_KIND: item.kind,
                signing.TIMESTAMP: timestamp,
                signing.SIGNATURE: signing.sign(target.secret, timestamp, body),
            }
            try:
                # httpx times each phase; the whole attempt must also end well within the claim's lease
                async with asyncio.timeout(self.timeout_seconds):
                    response = await self._http().post(item.url, content=body, headers=headers)
                status_code = response.status_code
                if not 200 <= status_code < 300:
                    error = f"HTTP {status_code}"
            except TimeoutError:
                error = f"no answer within {self.timeout_seconds:.0f} s"
            except (httpx.HTTPError, OSError, ValueError) as exc:
                error = f"{type(exc).__name__}: {exc}"[:1000] or type(exc).__name__
        await self._record(item, now, status_code, error)

    async def _record(self, item: _Claimed, now: datetime, status_code: int | None, error: str | None) -> None:
        mine = (
            OutboundDelivery.id == item.id,
            OutboundDelivery.status == "pending",
            OutboundDelivery.attempts == item.attempt,
        )
        if error is None:
            values: dict[str, Any] = {
                "status": "delivered",
                "delivered_at": utc_now(),
                "last_status_code": status_code,
                "last_error": None,
            }
        elif item.attempt >= self.max_attempts:
            values = {"status": "dead", "last_status_code": status_code, "last_error": error}
            logger.warning(
                "delivery dead after %d attempts: %s",
                item.attempt,
                error,
                extra={"delivery_id": str(item.id), "delivery_kind": item.kind, "target": item.target},
            )
        else:
            delay = retry_delay(item.attempt, self.backoff_seconds, self.backoff_cap_seconds, self._rng)
            values = {
                "next_attempt_at": now + timedelta(seconds=delay),
                "last_status_code": status_code,
                "last_error": error,
            }
            logger.info(
                "delivery failed (attempt %d), retrying in %.0f s: %s",
                item.attempt,
                delay,
                error,
                extra={"delivery_id": str(item.id), "delivery_kind": item.kind, "target": item.target},
            )
        async with self._session_factory() as session, session.begin():
            await session.execute(update(OutboundDelivery).where(*mine).values(**values))
