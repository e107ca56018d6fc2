"""Sending due deliveries: claim, POST signed JSON, record the outcome, back off and retry, give up when dead.

A claim moves the row's next attempt a lease into the future and counts the attempt, in one short transaction
(PostgreSQL: `FOR UPDATE SKIP LOCKED`, so processes claiming at once take different rows; every backend: the
update only succeeds while the row still has the attempt count that was read). The POST happens after that
commit, so no transaction stays open during network I/O; if the process dies mid-send, the row is due again when
the lease ends. An outcome is written only by the attempt that claimed it.

OCPI pushes differ from webhooks in three ways: they carry the partner's token instead of a signature (the
`PartnerAuth` the OCPI package provides), a partner's deliveries for one object go out strictly in order (a later
one is not claimed while an earlier one is pending), and a 401 suspends the partner: the delivery goes back
without using up an attempt, and none of the partner's deliveries is claimed until its credentials are updated.
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
from sqlalchemy import ColumnElement, and_, delete, event, exists, not_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from api.db.models import OutboundDelivery
from api.db.types import utc_now
from api.deliveries import signing
from api.deliveries.outbox import add_waker, enqueue, remove_waker
from api.deliveries.partners import PartnerAuth, PartnerUnavailable
from api.deliveries.targets import Targets
from api.periodic import Periodic

logger = logging.getLogger(__name__)

POLL_SECONDS: Final = 2.0  # how soon a delivery another process enqueued (or a due retry) is noticed
BATCH: Final = 20
MAX_ROUNDS: Final = 50  # claims per run, so a run always ends even if deliveries keep becoming due


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
    method: str = "POST"
    ocpi_partner_id: uuid.UUID | None = None
    object_key: str | None = None
    coalesce: bool = False


class _Outcome(msgspec.Struct):
    status_code: int | None = None
    error: str | None = None
    refused: bool = False  # the receiver understood and refused it: sending again cannot help
    unauthorized: bool = False


def _ocpi_refusal(body: bytes) -> str | None:
    """The message of an OCPI envelope whose status_code is a client error (2xxx), None for anything else."""
    try:
        envelope = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return None
    if not isinstance(envelope, dict):
        return None
    code = envelope.get("status_code")
    try:
        number = int(code) if code is not None else 0
    except (TypeError, ValueError):
        return None
    if 2000 <= number < 3000:
        return f"OCPI {number}: {envelope.get('status_message') or 'refused'}"[:1000]
    return None


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
        partners: PartnerAuth | None = None,
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
        self.partners = partners
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
        add_waker(self.wake)
        self._periodic.start()

    async def stop(self) -> None:
        remove_waker(self.wake)
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
        for _ in range(MAX_ROUNDS):
            claimed = await self._claim(moment)
            if not claimed:
                break
            outcomes = await asyncio.gather(*(self._attempt(item) for item in claimed))
            await self._record(list(zip(claimed, outcomes, strict=True)), moment)
            made += len(claimed)
            # a full batch may leave more due; a sent delivery may free the next one of its object
            if len(claimed) < BATCH and not any(item.object_key for item in claimed):
                break
        return made

    async def _claim(self, now: datetime) -> list[_Claimed]:
        real_now = self._clock()
        async with self._session_factory() as session, session.begin():
            query = (
                select(
                    OutboundDelivery.id,
                    OutboundDelivery.attempts,
                    OutboundDelivery.kind,
                    OutboundDelivery.target,
                    OutboundDelivery.url,
                    OutboundDelivery.payload,
                    OutboundDelivery.method,
                    OutboundDelivery.ocpi_partner_id,
                    OutboundDelivery.object_key,
                    OutboundDelivery.coalesce,
                    OutboundDelivery.created_at,
                )
                .where(
                    OutboundDelivery.status == "pending",
                    OutboundDelivery.next_attempt_at <= now,
                    # being sent right now (by the real clock, whatever `now` a caller passes): not again
                    or_(OutboundDelivery.claimed_until.is_(None), OutboundDelivery.claimed_until <= real_now),
                    or_(OutboundDelivery.object_key.is_(None), not_(self._earlier_pending())),
                )
                .order_by(OutboundDelivery.next_attempt_at)
                .limit(BATCH)
            )
            if self.partners is not None:
                query = query.where(
                    or_(
                        OutboundDelivery.ocpi_partner_id.is_(None),
                        not_(self.partners.held(OutboundDelivery.ocpi_partner_id)),
                    )
                )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            claimed: list[_Claimed] = []
            for row in (await session.execute(query)).all():
                if row.coalesce and row.object_key is not None and await self._newer_pending(session, row):
                    # a newer state of the same object is waiting: this stale one is never sent
                    await session.execute(
                        delete(OutboundDelivery).where(
                            OutboundDelivery.id == row.id,
                            OutboundDelivery.status == "pending",
                            OutboundDelivery.attempts == row.attempts,
                        )
                    )
                    continue
                taken = await session.execute(
                    update(OutboundDelivery)
                    .where(
                        OutboundDelivery.id == row.id,
                        OutboundDelivery.status == "pending",
                        OutboundDelivery.attempts == row.attempts,
                    )
                    .values(
                        attempts=row.attempts + 1,
                        next_attempt_at=now + self.lease,
                        claimed_until=real_now + self.lease,
                    )
                )
                if getattr(taken, "rowcount", 0) == 1:
                    claimed.append(
                        _Claimed(
                            row.id,
                            row.attempts + 1,
                            row.kind,
                            row.target,
                            row.url,
                            row.payload,
                            row.method,
                            row.ocpi_partner_id,
                            row.object_key,
                            row.coalesce,
                        )
                    )
            return claimed

    @staticmethod
    def _earlier_pending() -> Any:
        """EXISTS an earlier pending delivery for the same partner and object (which must go out first)."""
        earlier = aliased(OutboundDelivery)
        return exists().where(
            earlier.object_key == OutboundDelivery.object_key,
            or_(
                earlier.ocpi_partner_id == OutboundDelivery.ocpi_partner_id,
                and_(earlier.ocpi_partner_id.is_(None), OutboundDelivery.ocpi_partner_id.is_(None)),
            ),
            earlier.status == "pending",
            or_(
                earlier.created_at < OutboundDelivery.created_at,
                and_(earlier.created_at == OutboundDelivery.created_at, earlier.id < OutboundDelivery.id),
            ),
        )

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout_seconds, follow_redirects=False)
        return self._client

    async def _attempt(self, item: _Claimed) -> _Outcome:
        body = msgspec.json.encode(item.payload)
        headers = {"Content-Type": "application/json", "User-Agent": "Voltway-Delivery/1"}
        try:
            headers |= await self._auth_headers(item, body)
        except PartnerUnavailable as exc:
            return _Outcome(error=str(exc))
        outcome = _Outcome()
        try:
            # httpx times each phase; the whole attempt must also end well within the claim's lease
            async with asyncio.timeout(self.timeout_seconds):
                response = await self._http().request(item.method, item.url, content=body, headers=headers)
            outcome.status_code = response.status_code
            if response.status_code == 401 and item.ocpi_partner_id is not None:
                outcome.unauthorized = True
                outcome.error = "HTTP 401: the partner refused our token; held until its credentials are updated"
            elif not 200 <= response.status_code < 300:
                outcome.error = f"HTTP {response.status_code}"
            elif item.ocpi_partner_id is not None and (refusal := _ocpi_refusal(response.content)):
                outcome.error, outcome.refused = refusal, True
        except TimeoutError:
            outcome.error = f"no answer within {self.timeout_seconds:.0f} s"
        except (httpx.HTTPError, OSError, ValueError) as exc:
            outcome.error = f"{type(exc).__name__}: {exc}"[:1000] or type(exc).__name__
        return outcome

    async def _auth_headers(self, item: _Claimed, body: bytes) -> dict[str, str]:
        """The partner's token headers for an OCPI delivery, the signature headers for a webhook."""
        if item.ocpi_partner_id is not None:
            if self.partners is None:
                raise PartnerUnavailable("OCPI partners are not configured in this process")
            return await self.partners.headers(item.ocpi_partner_id, item.id)
        target = self.targets.get(item.target)
        if target is None:
            raise PartnerUnavailable(f"no delivery target named {item.target!r} is configured")
        timestamp = str(int(utc_now().timestamp()))
        return {
            signing.DELIVERY_ID: str(item.id),
            signing.DELIVERY_KIND: item.kind,
            signing.TIMESTAMP: timestamp,
            signing.SIGNATURE: signing.sign(target.secret, timestamp, body),
        }

    async def _record(self, results: list[tuple[_Claimed, _Outcome]], now: datetime) -> None:
        """The outcomes of one batch, written in one transaction (a partner that answered 401 is suspended first)."""
        refused_by = {item.ocpi_partner_id for item, outcome in results if outcome.unauthorized}
        for partner_id in refused_by:
            if partner_id is not None and self.partners is not None:
                logger.warning("OCPI partner %s answered 401: suspended, its deliveries are held", partner_id)
                await self.partners.unauthorized(partner_id)
        async with self._session_factory() as session, session.begin():
            for item, outcome in results:
                await self._record_one(session, item, now, outcome)

    async def _record_one(self, session: AsyncSession, item: _Claimed, now: datetime, outcome: _Outcome) -> None:
        mine = (
            OutboundDelivery.id == item.id,
            OutboundDelivery.status == "pending",
            OutboundDelivery.attempts == item.attempt,
        )
        status_code, error = outcome.status_code, outcome.error
        log_extra = {"delivery_id": str(item.id), "delivery_kind": item.kind, "target": item.target}
        if outcome.unauthorized and item.ocpi_partner_id is not None:
            # not the delivery's fault: give the attempt back and hold it (and the partner's others) until resumed
            values: dict[str, Any] = {
                "attempts": item.attempt - 1,
                "next_attempt_at": now,
                "last_status_code": status_code,
                "last_error": error,
            }
        elif error is None:
            values = {
                "status": "delivered",
                "delivered_at": utc_now(),
                "last_status_code": status_code,
                "last_error": None,
            }
        elif outcome.refused or item.attempt >= self.max_attempts:
            values = {"status": "dead", "last_status_code": status_code, "last_error": error}
            logger.warning("delivery dead after %d attempts: %s", item.attempt, error, extra=log_extra)
        else:
            delay = retry_delay(item.attempt, self.backoff_seconds, self.backoff_cap_seconds, self._rng)
            values = {
                "next_attempt_at": now + timedelta(seconds=delay),
                "last_status_code": status_code,
                "last_error": error,
            }
            logger.info(
                "delivery failed (attempt %d), retrying in %.0f s: %s", item.attempt, delay, error, extra=log_extra
            )
        values["claimed_until"] = None
        if (
            error is not None
            and item.coalesce
            and item.object_key is not None
            and await self._superseded(session, item)
        ):
            # a newer state of the same object waits behind this one: send that instead of this stale one
            await session.execute(delete(OutboundDelivery).where(*mine))
            return
        await session.execute(update(OutboundDelivery).where(*mine).values(**values))

    @staticmethod
    async def _superseded(session: AsyncSession, item: _Claimed) -> bool:
        return await _coalescing_pending(session, item.object_key, item.ocpi_partner_id, OutboundDelivery.id != item.id)

    @staticmethod
    async def _newer_pending(session: AsyncSession, row: Any) -> bool:
        """A later coalescing delivery for the same partner and object is pending (it replaces this one)."""
        return await _coalescing_pending(
            session, row.object_key, row.ocpi_partner_id, OutboundDelivery.created_at > row.created_at
        )


async def _coalescing_pending(
    session: AsyncSession, object_key: str | None, partner_id: uuid.UUID | None, which: ColumnElement[bool]
) -> bool:
    """Whether a pending coalescing delivery of the same object to the same partner, `which` also matches, exists."""
    newer = await session.scalar(
        select(OutboundDelivery.id)
        .where(
            OutboundDelivery.object_key == object_key,
            OutboundDelivery.ocpi_partner_id == partner_id,
            OutboundDelivery.status == "pending",
            OutboundDelivery.coalesce.is_(True),
            which,
        )
        .limit(1)
    )
    return newer is not None
