"""Operator API for chargers' OCPP security: security profile, reported security events, certificates we issued."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get, post, put
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody

from api.deps import DbSession
from api.domain.chargers.bridge_problems import answer
from api.domain.chargers.certificates import (
    IssuedCertificateView,
    list_issued_certificates,
    set_security_profile,
    stored_security_profile,
)
from api.domain.chargers.installed_certificates import (
    InstalledCertificateView,
    ask_installed_certificates,
    list_installed_certificates,
    store_installed_certificates,
)
from api.domain.chargers.security_events import SecurityEvent, list_security_events
from api.domain.chargers.station_lookup import station_or_404
from api.errors import ServiceUnavailable
from api.openapi_contract import problems
from api.schema import AppStruct
from api.security.guards import admin_only


class SecurityProfile(AppStruct):
    """1: Basic auth over ws; 2: Basic auth over TLS; 3: TLS with a client certificate (no password).
    ``null`` when never set (the charger then authenticates with its password)."""

    security_profile: Annotated[int, msgspec.Meta(ge=1, le=3)] | None


class SecurityProfileChange(AppStruct):
    security_profile: Annotated[int, msgspec.Meta(ge=1, le=3)]


class AdminChargerSecurityController(Controller):
    path = "/v1/admin/chargers/{charger_id:str}"
    tags = ["Administration"]
    guards = [admin_only]
    security = [{"BearerToken": []}]

    @get("/security-events", summary="Security events the charger reported, newest first", responses=problems(404))
    async def security_events(self, charger_id: FromPath[str], db_session: DbSession) -> list[SecurityEvent]:
        """SecurityEventNotification of OCPP 1.6 (security extension) and 2.0.1; ``critical`` per the spec's list."""
        return await list_security_events(db_session, (await station_or_404(db_session, charger_id)).id)

    @get("/certificates", summary="Certificates our CA issued to the charger", responses=problems(404))
    async def certificates(self, charger_id: FromPath[str], db_session: DbSession) -> list[IssuedCertificateView]:
        """Signed in answer to the charger's SignCertificate; ``deliveryStatus`` is its CertificateSigned answer."""
        return await list_issued_certificates(db_session, (await station_or_404(db_session, charger_id)).id)

    @get("/security-profile", summary="The charger's OCPP security profile", responses=problems(404))
    async def security_profile(self, charger_id: FromPath[str], db_session: DbSession) -> SecurityProfile:
        station_id = (await station_or_404(db_session, charger_id)).id
        return SecurityProfile(security_profile=await stored_security_profile(db_session, station_id))

    @put("/security-profile", summary="Set the charger's OCPP security profile", responses=problems(404))
    async def change_security_profile(
        self, charger_id: FromPath[str], data: JSONBody[SecurityProfileChange], db_session: DbSession, state: State
    ) -> SecurityProfile:
        """Profile 3 admits the charger only with a client certificate (CN = its identity) signed by the CA of
        VOLTWAY_OCPP_TLS_CLIENT_CA; its password is no longer asked. Takes effect at its next connection."""
        station_id = (await station_or_404(db_session, charger_id)).id
        await set_security_profile(db_session, station_id, data.security_profile)
        await db_session.commit()
        bridge = getattr(state, "bridge", None)
        if bridge is not None:
            bridge.csms.security.forget_profile(charger_id)
        return SecurityProfile(security_profile=data.security_profile)

    @get("/installed-certificates", summary="Certificates the charger last said it holds", responses=problems(404))
    async def installed_certificates(
        self, charger_id: FromPath[str], db_session: DbSession
    ) -> list[InstalledCertificateView]:
        """As stored from its last GetInstalledCertificateIds answers (see the POST of this path)."""
        return await list_installed_certificates(db_session, (await station_or_404(db_session, charger_id)).id)

    @post(
        "/installed-certificates",
        status_code=200,
        summary="Ask the charger which certificates it holds, and keep its answer",
        responses=problems(404, 409, 502, 503, 504),
    )
    async def refresh_installed_certificates(
        self, charger_id: FromPath[str], db_session: DbSession, state: State
    ) -> list[InstalledCertificateView]:
        """GetInstalledCertificateIds for every certificate type; 409 charger not connected, 504 no answer in time."""
        station = await station_or_404(db_session, charger_id)
        bridge = getattr(state, "bridge", None)
        if bridge is None:
            raise ServiceUnavailable("This process does not run the OCPP bridge (VOLTWAY_OCPP_ENABLED=false).")
        session = bridge.central.session(charger_id)  # held here: its version is known for sure
        version = session.ocpp_version if session is not None else station.ocpp_version
        found = await answer(charger_id, ask_installed_certificates(bridge.central.send_command, charger_id, version))
        await store_installed_certificates(db_session, station.id, found)
        await db_session.commit()
        return await list_installed_certificates(db_session, station.id)
