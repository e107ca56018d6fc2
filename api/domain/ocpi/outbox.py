"""Pushing OCPI messages to a partner through the delivery outbox, in the transaction of their cause.

A push is sent with the partner's token B (not a webhook signature); pushes for one `object_key` reach the partner
in the order they were enqueued; `coalesce=True` replaces a not-yet-sent push of the same object (only the latest
EVSE status matters); after a 401 the partner's pushes are held until its credentials are updated.
"""

from __future__ import annotations

import uuid
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from api.deliveries.outbox import drop_unsent, enqueue, wake_after_commit

METHODS: Final = frozenset({"PUT", "PATCH", "POST"})


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
    verb = method.upper()
    if verb not in METHODS:
        raise ValueError(f"an OCPI push is sent with PUT, PATCH or POST, not {method!r}")
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"an OCPI push needs an absolute http(s) URL, got {url!r}")
    if coalesce and object_key is None:
        raise ValueError("coalescing replaces an earlier push of the same object: give its object_key")
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
