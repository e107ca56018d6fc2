"""What the outbox needs from the roaming partners it delivers to (OCPI): their request headers, whether their
deliveries are held, and what a 401 from one of them means. The OCPI package implements it; the worker stays
free of OCPI's storage."""

from __future__ import annotations

import uuid
from typing import Protocol

from sqlalchemy import ColumnElement
from sqlalchemy.orm import InstrumentedAttribute


class PartnerUnavailable(LookupError):
    """A delivery names a partner we cannot send to (unknown, or without the token it needs)."""


class PartnerAuth(Protocol):
    async def headers(self, partner_id: uuid.UUID, delivery_id: uuid.UUID) -> dict[str, str]:
        """The authentication and routing headers of one request to the partner; PartnerUnavailable if none."""
        ...

    def held(self, partner_column: InstrumentedAttribute[uuid.UUID | None]) -> ColumnElement[bool]:
        """A SQL condition true for deliveries whose partner may not be sent to now (suspended, revoked)."""
        ...

    async def unauthorized(self, partner_id: uuid.UUID) -> None:
        """The partner answered 401: stop sending to it until its credentials are updated."""
        ...
