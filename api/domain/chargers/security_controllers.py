"""Operator API for chargers' OCPP security: security profile, reported security events, certificates we issued."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import Controller, get, put
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import ChargingStation
from api.deps import DbSession
from api.domain.chargers.certificates import (
    IssuedCertificateView,
    list_issued_certificates,
    set_security_profile,
    stored_security_profile,
)
from api.domain.chargers.security_events import SecurityEvent, list_security_events
from api.errors import NotFound
from api.openapi_contract import problems
from api.schema import AppStruct
from api.security.guards import admin_only


class SecurityProfile(AppStruct):
    """1: Basic auth over ws; 2: Basic auth over TLS; 3: TLS with a client certificate (no password).
    ``null`` when never set (the charger then authenticates with its password)."""

    security_profile: Annotated[int, msgspec.Meta(ge=1, le=3)] | None


class SecurityProfileChange(AppStruct):
    security_profile: Annotated[int, msgspec.Meta(ge=1, le=3)]


async def _station_id(session: AsyncSession, charger_id: str) -> uuid.UUID:
    found = await session.scalar(select(ChargingStation.id).where(ChargingStation.ocpp_id == charger_id))
    if found is None:
        raise NotFound(f"No charger {charger_id!r}.")
    return found


class AdminChargerSecurityController(Controller):
    path = "/v1/admin/chargers/{charger_id:str}"
    tags = ["Administration"]
    guards = [admin_only]
    security = [{"BearerToken": []}]

    @get("/security-events", summary="Security events the charger reported, newest first", responses=problems(404))
    async def security_events(self, charger_id: FromPath[str], db_session: DbSession) -> list[SecurityEvent]:
        """SecurityEventNotification of OCPP 1.6 (security extension) and 2.0.1; ``critical`` per the spec's list."""
        return await list_security_events(db_session, await _station_id(db_session, charger_id))

    @get("/certificates", summary="Certificates our CA issued to the charger", responses=problems(404))
    async def certificates(self, charger_id: FromPath[str], db_session: DbSession) -> list[IssuedCertificateView]:
        """Signed in answer to the charger's SignCertificate; ``deliveryStatus`` is its CertificateSigned answer."""
        return await list_issued_certificates(db_session, await _station_id(db_session, charger_id))

    @get("/security-profile", summary="The charger's OCPP security profile", responses=problems(404))
    async def security_profile(self, charger_id: FromPath[str], db_session: DbSession) -> SecurityProfile:
        station_id = await _station_id(db_session, charger_id)
        return SecurityProfile(security_profile=await stored_security_profile(db_session, station_id))

    @put("/security-profile", summary="Set the charger's OCPP security profile", responses=problems(404))
    async def change_security_profile(
        self, charger_id: FromPath[str], data: JSONBody[SecurityProfileChange], db_session: DbSession, state: State
    ) -> SecurityProfile:
        """Profile 3 admits the charger only with a client certificate (CN = its identity) signed by the CA of
        VOLTWAY_OCPP_TLS_CLIENT_CA; its password is no longer asked. Takes effect at its next connection."""
        station_id = await _station_id(db_session, charger_id)
        await set_security_profile(db_session, station_id, data.security_profile)
        await db_session.commit()
        bridge = getattr(state, "bridge", None)
        if bridge is not None:
            bridge.csms.security.forget_profile(charger_id)
        return SecurityProfile(security_profile=data.security_profile)
