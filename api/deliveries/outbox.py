"""Adding a delivery to the caller's transaction, so a delivery exists if and only if its cause committed."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, event, insert, or_
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import OutboundDelivery
from api.db.types import utc_now

_wakers: list[Callable[[], None]] = []
_last_moment: list[datetime] = []


def add_waker(wake: Callable[[], None]) -> None:
    """`wake` is called after each commit that enqueued a delivery (a running worker sends it at once)."""
    if wake not in _wakers:
        _wakers.append(wake)


def remove_waker(wake: Callable[[], None]) -> None:
    if wake in _wakers:
        _wakers.remove(wake)


def _wake_all(_session: object) -> None:
    for wake in _wakers:
        wake()


def wake_after_commit(db_session: AsyncSession) -> None:
    """Wake the running workers when the caller's transaction commits (not before: the row is invisible until)."""
    if not event.contains(db_session.sync_session, "after_commit", _wake_all):
        event.listen(db_session.sync_session, "after_commit", _wake_all, once=True)


def _ordered_moment(now: datetime | None) -> datetime:
    """`now`, but strictly after the previous delivery's moment in this process: deliveries for one object are
    sent in `created_at` order, so two enqueued within one clock tick must still differ."""
    moment = now or utc_now()
    if _last_moment and moment <= _last_moment[0]:
        moment = _last_moment[0] + timedelta(microseconds=1)
    _last_moment[:] = [moment]
    return moment


def enqueue(
    db_session: AsyncSession,
    kind: str,
    target: str,
    url: str,
    payload: Any,
    *,
    now: datetime | None = None,
    method: str = "POST",
    ocpi_partner_id: uuid.UUID | None = None,
    object_key: str | None = None,
    coalesce: bool = False,
) -> OutboundDelivery:
    """Add one pending delivery (due at once) to the caller's transaction; the caller commits."""
    moment = _ordered_moment(now)
    delivery = OutboundDelivery(
        id=uuid.uuid4(),
        kind=kind,
        target=target,
        url=url,
        payload=payload,
        status="pending",
        attempts=0,
        next_attempt_at=moment,
        created_at=moment,
        method=method,
        ocpi_partner_id=ocpi_partner_id,
        object_key=object_key,
        coalesce=coalesce,
    )
    db_session.add(delivery)
    return delivery


async def drop_unsent(
    db_session: AsyncSession, *, ocpi_partner_id: uuid.UUID | None, object_key: str, now: datetime | None = None
) -> None:
    """Remove the pending coalescing deliveries for one partner's object that are not being sent right now: a newer
    one replaces them (the one in flight, if any, finishes first, then the newer one follows in order)."""
    await drop_unsent_many(db_session, ocpi_partner_id=ocpi_partner_id, object_keys=[object_key], now=now)


async def drop_unsent_many(
    db_session: AsyncSession,
    *,
    ocpi_partner_id: uuid.UUID | None,
    object_keys: list[str],
    now: datetime | None = None,
) -> None:
    """`drop_unsent` for several objects of one partner in one statement."""
    moment = now or utc_now()
    partner = (
        OutboundDelivery.ocpi_partner_id.is_(None)
        if ocpi_partner_id is None
        else OutboundDelivery.ocpi_partner_id == ocpi_partner_id
    )
    await db_session.execute(
        delete(OutboundDelivery)
        .where(
            partner,
            OutboundDelivery.object_key.in_(object_keys),
            OutboundDelivery.status == "pending",
            OutboundDelivery.coalesce.is_(True),
            or_(OutboundDelivery.claimed_until.is_(None), OutboundDelivery.claimed_until < moment),
        )
        .execution_options(synchronize_session=False)
    )


async def insert_many(db_session: AsyncSession, rows: list[dict[str, Any]], *, now: datetime | None = None) -> None:
    """Add many pending deliveries in one Core INSERT (the OCPP hot path enqueues status pushes in batches).

    Each row names kind, target, url, payload and optionally method, ocpi_partner_id, object_key, coalesce."""
    if not rows:
        return
    base = now or utc_now()
    values = []
    for row in rows:
        moment = _ordered_moment(base)
        values.append(
            {
                "id": uuid.uuid4(),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": moment,
                "created_at": moment,
                "method": "POST",
                "ocpi_partner_id": None,
                "object_key": None,
                "coalesce": False,
                **row,
            }
        )
    await db_session.execute(insert(OutboundDelivery), values)
