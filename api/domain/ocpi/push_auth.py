"""How the outbox sends to an OCPI partner: `Authorization: Token base64(token B)` with the OCPI request, correlation
and routing headers; a partner that is not `registered` (suspended after a 401, unregistered, revoked) is held;
a 401 suspends it until it updates its credentials (PUT credentials, or registering again)."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, exists
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from api.db.models.ocpi import OcpiPartner
from api.deliveries.partners import PartnerUnavailable
from api.domain.ocpi.client import authorization_header
from api.domain.ocpi.partners import suspend_partner
from api.domain.ocpi.push_targets import PushTargets


class OcpiPartnerAuth:
    """The outbox's `PartnerAuth` for OCPI partners."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], targets: PushTargets) -> None:
        self._session_factory = session_factory
        self.targets = targets

    async def headers(self, partner_id: uuid.UUID, delivery_id: uuid.UUID) -> dict[str, str]:
        known = await self.targets.current_from(self._session_factory)
        target = known.get(partner_id)
        if target is None:
            self.targets.invalidate()  # it may have registered a moment ago
            target = (await self.targets.current_from(self._session_factory)).get(partner_id)
        if target is None:
            raise PartnerUnavailable(f"OCPI partner {partner_id} is not registered")
        if target.token is None:
            raise PartnerUnavailable(f"OCPI partner {target.country_code}/{target.party_id} gave us no token")
        settings = self.targets.settings
        return {
            "Authorization": authorization_header(target.token),
            "X-Request-ID": str(uuid.uuid4()),
            "X-Correlation-ID": str(delivery_id),  # the same on every attempt of one delivery
            "OCPI-from-country-code": settings.ocpi_country_code,
            "OCPI-from-party-id": settings.ocpi_party_id,
            "OCPI-to-country-code": target.country_code,
            "OCPI-to-party-id": target.party_id,
        }

    def held(self, partner_column: InstrumentedAttribute[uuid.UUID | None]) -> ColumnElement[bool]:
        return exists().where(OcpiPartner.id == partner_column, OcpiPartner.status != "registered")

    async def unauthorized(self, partner_id: uuid.UUID) -> None:
        async with self._session_factory() as session, session.begin():
            await suspend_partner(session, partner_id)
        self.targets.invalidate()
