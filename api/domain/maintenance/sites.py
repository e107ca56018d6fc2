"""Where a schedule or a work order belongs: the location named, or the location of the charger named, within the
caller's sites."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Location
from api.domain.operations.scope import SiteScope, charger_location
from api.errors import FieldError, InvalidInput, NotFound


async def site_of(
    session: AsyncSession,
    scope: SiteScope,
    location_id: uuid.UUID | None,
    charger_id: str | None,
    *,
    mismatch_field: str,
    missing: FieldError,
) -> uuid.UUID:
    """The charger's location when a charger is named (which must agree with a location named too, else 422 on
    `mismatch_field`), else the location named (neither: `missing`); 404 outside the caller's sites."""
    if charger_id is not None:
        at = await charger_location(session, charger_id)
        if at is None or not scope.allows(at):
            raise NotFound(f"No charger {charger_id!r}.")
        if location_id is not None and location_id != at:
            raise InvalidInput([FieldError(mismatch_field, f"charger {charger_id!r} is not at this location")])
        return at
    if location_id is None:
        raise InvalidInput([missing])
    if not scope.allows(location_id) or await session.get(Location, location_id) is None:
        raise NotFound(f"No location {location_id}.")
    return location_id
