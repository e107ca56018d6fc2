"""The charger an operator API path names: its station row (id, identity, OCPP version, registration), or 404."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.chargers.operations import StationInfo, UnknownCharger, station_info
from api.errors import NotFound


async def station_or_404(db_session: AsyncSession, charger_id: str) -> StationInfo:
    """The station of the charger with OCPP identity ``charger_id``; NotFound when there is none."""
    try:
        return await station_info(db_session, charger_id)
    except UnknownCharger as exc:
        raise NotFound(str(exc)) from None
