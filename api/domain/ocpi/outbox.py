"""Pushing OCPI messages to a partner through the delivery outbox, in the transaction of their cause.

A push is sent with the partner's token B (not a webhook signature); pushes for one `object_key` reach the partner
in the order they were enqueued; `coalesce=True` replaces a not-yet-sent push of the same object (only the latest
EVSE status matters); after a 401 the partner's pushes are held until its credentials are updated.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from api.deliveries.outbox import drop_unsent, drop_unsent_many, enqueue, insert_many, wake_after_commit

METHODS: Final = frozenset({"PUT", "PATCH", "POST"})


@dataclass(frozen=True, slots=True)
class OcpiPush:
    """One push for `enqueue_ocpi_many`; the fields mean what `enqueue_ocpi`'s arguments mean."""

    partner_id: uuid.UUID
    kind: str
    method: str
    url: str
    body: object
    object_key: str | None = None
    coalesce: bool = False


def target_name(partner_id: uuid.UUID) -> str:
    """The outbox target of a partner's deliveries."""
    return f"ocpi:{partner_id}"


async def enqueue_ocpi(
    session: AsyncSession,
    *,
    partner_id: uuid.UUID,
    kind: str,
    method: str,
    url: str,
    body: object,
    object_key: str | None = None,
    coalesce: bool = False,
) -> None:
    """Add a push of `body` to the partner at `url` to the caller's transaction; sent once it commits."""
    verb = _checked(method, url, object_key, coalesce)
    if coalesce and object_key is not None:
        await drop_unsent(session, ocpi_partner_id=partner_id, object_key=object_key)
    payload: Any = body
    enqueue(
        session,
        kind,
        target_name(partner_id),
        url,
        payload,
        method=verb,
        ocpi_partner_id=partner_id,
        object_key=object_key,
        coalesce=coalesce,
    )
    wake_after_commit(session)


def _checked(method: str, url: str, object_key: str | None, coalesce: bool) -> str:
    verb = method.upper()
    if verb not in METHODS:
        raise ValueError(f"an OCPI push is sent with PUT, PATCH or POST, not {method!r}")
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"an OCPI push needs an absolute http(s) URL, got {url!r}")
    if coalesce and object_key is None:
        raise ValueError("coalescing replaces an earlier push of the same object: give its object_key")
    return verb


async def enqueue_ocpi_many(session: AsyncSession, pushes: list[OcpiPush]) -> None:
    """Many pushes in a few statements (one DELETE per partner for the coalesced, one INSERT), in list order."""
    if not pushes:
        return
    rows = []
    coalesced: dict[uuid.UUID, list[str]] = {}
    for push in pushes:
        verb = _checked(push.method, push.url, push.object_key, push.coalesce)
        if push.coalesce and push.object_key is not None:
            coalesced.setdefault(push.partner_id, []).append(push.object_key)
        rows.append(
            {
                "kind": push.kind,
                "target": target_name(push.partner_id),
                "url": push.url,
                "payload": push.body,
                "method": verb,
                "ocpi_partner_id": push.partner_id,
                "object_key": push.object_key,
                "coalesce": push.coalesce,
            }
        )
    for partner_id, keys in coalesced.items():
        await drop_unsent_many(session, ocpi_partner_id=partner_id, object_keys=keys)
    await insert_many(session, rows)
    wake_after_commit(session)
