"""The security side of the central system: chargers' security profiles, their CSRs signed by our CA and sent back
(SignCertificate -> CertificateSigned), OCSP answers for ISO 15118 certificates, and security events.

`CsmsService` hands the matching port calls to `ChargerSecurity`. Signing happens after SignCertificate is
answered, in a task of its own: the certificate goes to the charger with a CertificateSigned command through
whichever process holds its socket.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

import msgspec
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import ChargerLogEntry, ChargerSecurityProfile, IssuedCertificate
from api.db.types import utc_now
from api.domain.chargers.live_writer import table_of
from api.domain.chargers.ocsp import ChainProblem, OcspClient, OcspUnavailable, request_data_of_chain
from api.domain.chargers.pki import (
    CHARGING_STATION_CERTIFICATE,
    CertificateAuthority,
    CsrRefused,
    SignedCertificate,
    check_csr,
)
from api.domain.chargers.security_events import record_security_event
from api.schema import AppStruct
from api.settings import Settings
from ocpp_bridge import commands
from ocpp_bridge.events import (
    CertificateSigningReply,
    CertificateSigningRequested,
    CertificateStatusReply,
    CertificateStatusRequested,
    ContractCertificatesPresented,
    ContractCertificateStatus,
    EvCertificateReply,
    EvCertificateRequested,
    SecurityEventReceived,
)

logger = logging.getLogger(__name__)

PROFILE_TTL_SECONDS = 30.0
NO_CONTRACT_POOL = "NoContractPool"  # reasonCode: no MO / contract certificate pool is configured
_PROFILES = table_of(ChargerSecurityProfile)
_ISSUED = table_of(IssuedCertificate)
_LOG = table_of(ChargerLogEntry)

SendCommand = Callable[[str, commands.CommandRequest], Awaitable[commands.CommandResult]]


class _Charger(Protocol):
    @property
    def station_id(self) -> uuid.UUID: ...


class ChargerLookup(Protocol):
    """The backend's charger directory: provisioned chargers by OCPP identity."""

    async def get(self, ocpp_id: str, *, fresh: bool = False) -> _Charger | None: ...


class IssuedCertificateView(AppStruct):
    """A certificate our CA issued to a charger, and what the charger answered to CertificateSigned."""

    serial_number: str
    certificate_type: str
    subject: str
    not_before: datetime
    not_after: datetime
    issued_at: datetime
    delivery_status: str | None
    certificate: str


class ChargerSecurity:
    """Security profiles, CSR signing, OCSP and security events for the chargers of this process."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        directory: ChargerLookup,
        *,
        authority: CertificateAuthority | None = None,
        organization: str | None = None,
        ocsp: OcspClient | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._directory = directory
        self.authority = authority
        self.organization = organization
        self.ocsp = ocsp or OcspClient()
        self.send_command: SendCommand | None = None  # set once the central system exists
        self._profiles: dict[str, tuple[float, int | None]] = {}
        self._signing: set[asyncio.Task[None]] = set()

    async def stop(self) -> None:
        for task in list(self._signing):
            task.cancel()
        await asyncio.gather(*self._signing, return_exceptions=True)

    async def _station_of(self, charger_id: str) -> uuid.UUID | None:
        charger = await self._directory.get(charger_id)
        return None if charger is None else charger.station_id

    # ----- security profiles ---------------------------------------------------------------------

    async def security_profile(self, charger_id: str) -> int | None:
        now = time.monotonic()
        cached = self._profiles.get(charger_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        station_id = await self._station_of(charger_id)
        profile = None
        if station_id is not None:
            async with self._session_factory() as session:
                profile = await session.scalar(
                    select(_PROFILES.c.security_profile).where(_PROFILES.c.charging_station_id == station_id)
                )
        self._profiles[charger_id] = (now + PROFILE_TTL_SECONDS, profile)
        return profile

    def forget_profile(self, charger_id: str) -> None:
        """A changed profile takes effect at once in this process, within `PROFILE_TTL_SECONDS` in the others."""
        self._profiles.pop(charger_id, None)

    # ----- security events -----------------------------------------------------------------------

    async def on_security_event(self, station_id: uuid.UUID, event: SecurityEventReceived) -> None:
        await record_security_event(self._session_factory, station_id, event)

    # ----- SignCertificate -> CertificateSigned --------------------------------------------------

    async def on_certificate_signing_requested(self, event: CertificateSigningRequested) -> CertificateSigningReply:
        station_id = await self._station_of(event.charger_id)
        certificate_type = event.certificate_type or CHARGING_STATION_CERTIFICATE
        await self._log(station_id, "SignCertificate", event)
        if self.authority is None or station_id is None:
            logger.warning("charger %s: SignCertificate refused, no CA configured", event.charger_id)
            return CertificateSigningReply(status="Rejected", reason="NoCA")
        try:
            csr = check_csr(event.csr, event.charger_id, certificate_type, self.organization)
        except CsrRefused as exc:
            logger.warning("charger %s: SignCertificate refused: %s", event.charger_id, exc)
            return CertificateSigningReply(status="Rejected", reason=exc.reason_code)
        signed = self.authority.sign(csr)
        task = asyncio.get_running_loop().create_task(
            self._deliver(event, station_id, certificate_type, signed), name=f"certificate-{event.charger_id}"
        )
        self._signing.add(task)
        task.add_done_callback(self._signing.discard)
        return CertificateSigningReply(status="Accepted")

    async def _deliver(
        self,
        event: CertificateSigningRequested,
        station_id: uuid.UUID,
        certificate_type: str,
        signed: SignedCertificate,
    ) -> None:
        """Store the issued certificate, then send it with CertificateSigned (after SignCertificate was answered)."""
        async with self._session_factory() as session, session.begin():
            certificate_id = uuid.uuid4()
            await session.execute(
                insert(_ISSUED).values(
                    id=certificate_id,
                    charging_station_id=station_id,
                    certificate_type=certificate_type,
                    serial_number=signed.serial_number,
                    subject=signed.subject,
                    not_before=signed.not_before,
                    not_after=signed.not_after,
                    issued_at=utc_now(),
                    certificate=signed.certificate_pem,
                )
            )
        if self.send_command is None:
            logger.warning("charger %s: certificate issued but no bridge to send it", event.charger_id)
            return
        request = commands.CertificateSigned(
            certificate_chain=signed.chain_pem,
            certificate_type=None if event.ocpp_version == "1.6" else certificate_type,
        )
        try:
            result = await self.send_command(event.charger_id, request)
            status = getattr(result, "status", "Unknown")
        except Exception as exc:
            logger.warning("charger %s: CertificateSigned not delivered: %s", event.charger_id, exc)
            status = "NotDelivered"
        async with self._session_factory() as session, session.begin():
            await session.execute(
                update(_ISSUED).where(_ISSUED.c.id == certificate_id).values(delivery_status=str(status)[:20])
            )

    # ----- ISO 15118: OCSP and contract certificates ---------------------------------------------

    async def on_certificate_status_requested(self, event: CertificateStatusRequested) -> CertificateStatusReply:
        await self._log(await self._station_of(event.charger_id), "GetCertificateStatus", event)
        try:
            answer = await self.ocsp.status(event.certificate)
        except OcspUnavailable as exc:
            logger.warning("charger %s: GetCertificateStatus failed: %s", event.charger_id, exc)
            return CertificateStatusReply(status="Failed", reason="OCSPUnavailable")
        encoded = base64.b64encode(answer.der).decode()
        if len(encoded) > 5500:
            return CertificateStatusReply(status="Failed", reason="OCSPResponseTooLong")
        return CertificateStatusReply(status="Accepted", ocsp_result=encoded)

    async def on_ev_certificate_requested(self, event: EvCertificateRequested) -> EvCertificateReply:
        """No contract certificate pool (MO) is connected: the EV's request is logged and answered Failed."""
        await self._log(await self._station_of(event.charger_id), "Get15118EVCertificate", event)
        return EvCertificateReply(status="Failed", reason=NO_CONTRACT_POOL)

    async def on_contract_certificates_presented(
        self, event: ContractCertificatesPresented
    ) -> ContractCertificateStatus:
        """Every certificate of the chain must be good by OCSP; a responder that cannot be asked gives
        NoCertificateAvailable (the id token is then judged on its own). A chain sent as PEM is first checked for
        validity dates and signatures, and its responders are those its certificates name."""
        certificates = list(event.certificates)
        if event.certificate is not None:
            try:
                certificates += request_data_of_chain(event.certificate)
            except ChainProblem as exc:
                logger.warning("charger %s: contract certificate refused: %s", event.charger_id, exc)
                return exc.status
        for certificate in certificates:
            try:
                answer = await self.ocsp.status(certificate)
            except OcspUnavailable as exc:
                logger.warning("charger %s: contract certificate unchecked: %s", event.charger_id, exc)
                return "NoCertificateAvailable"
            if answer.state == "revoked":
                return "CertificateRevoked"
            if answer.state == "unknown":
                return "CertChainError"
        return "Accepted"

    async def _log(self, station_id: uuid.UUID | None, kind: str, event: msgspec.Struct) -> None:
        if station_id is None:
            return
        async with self._session_factory() as session, session.begin():
            await session.execute(
                insert(_LOG).values(
                    charging_station_id=station_id, kind=kind, at=utc_now(), detail=msgspec.to_builtins(event)
                )
            )


def configure_security(security: ChargerSecurity, settings: Settings) -> None:
    """The CA, organisation and OCSP timeout from the settings."""
    if settings.ocpp_ca_cert and settings.ocpp_ca_key:
        security.authority = CertificateAuthority.from_files(
            settings.ocpp_ca_cert, settings.ocpp_ca_key, settings.ocpp_certificate_validity_days
        )
    security.organization = settings.ocpp_csms_organization or None
    security.ocsp = OcspClient(timeout=settings.ocpp_ocsp_timeout_seconds)


async def list_issued_certificates(session: AsyncSession, station_id: uuid.UUID) -> list[IssuedCertificateView]:
    columns = _ISSUED.c
    rows = await session.execute(
        select(
            columns.serial_number,
            columns.certificate_type,
            columns.subject,
            columns.not_before,
            columns.not_after,
            columns.issued_at,
            columns.delivery_status,
            columns.certificate,
        )
        .where(columns.charging_station_id == station_id)
        .order_by(columns.issued_at.desc())
    )
    return [
        IssuedCertificateView(
            serial_number=serial,
            certificate_type=kind,
            subject=subject,
            not_before=not_before,
            not_after=not_after,
            issued_at=issued_at,
            delivery_status=delivery,
            certificate=pem,
        )
        for serial, kind, subject, not_before, not_after, issued_at, delivery, pem in rows
    ]


async def set_security_profile(session: AsyncSession, station_id: uuid.UUID, profile: int) -> None:
    """Store a charger's security profile (in the caller's transaction)."""
    await session.execute(delete(_PROFILES).where(_PROFILES.c.charging_station_id == station_id))
    await session.execute(
        insert(_PROFILES).values(charging_station_id=station_id, security_profile=profile, updated_at=utc_now())
    )


async def stored_security_profile(session: AsyncSession, station_id: uuid.UUID) -> int | None:
    profile: int | None = await session.scalar(
        select(_PROFILES.c.security_profile).where(_PROFILES.c.charging_station_id == station_id)
    )
    return profile
