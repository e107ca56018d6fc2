"""Which sites an operator sees."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import ChargingStation
from api.security.tokens import Principal


class SiteScope(msgspec.Struct, frozen=True):
    everything: bool
    location_ids: frozenset[uuid.UUID] = frozenset()

    def allows(self, location_id: uuid.UUID) -> bool:
        return self.everything or location_id in self.location_ids

    def where(self, column: Any) -> ColumnElement[bool]:
        if self.everything:
            return true()
        if not self.location_ids:
            return false()
        result: ColumnElement[bool] = column.in_(self.location_ids)
        return result


async def site_scope_for(db: AsyncSession, principal: Principal) -> SiteScope:
    return SiteScope(everything=principal.role == "admin")


async def provide_site_scope(db_session: AsyncSession, principal: Principal) -> SiteScope:
    return await site_scope_for(db_session, principal)


async def charger_location(db: AsyncSession, charger_id: str) -> uuid.UUID | None:
    found: uuid.UUID | None = (
        await db.execute(select(ChargingStation.location_id).where(ChargingStation.ocpp_id == charger_id))
    ).scalar_one_or_none()
    return found
