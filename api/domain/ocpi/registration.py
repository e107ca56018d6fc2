"""The credentials module as the client: we register with a partner, update our credentials there, unregister.

The partner gives us its versions URL and a token A out of band. We read its 2.2.1 endpoints with token A, make a
token for it to call us with (stored hashed before we send it, since the partner calls our versions endpoint with
it while answering), POST our credentials, and keep the token it answers with (encrypted) for calling it.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models.ocpi import OcpiPartner
from api.db.types import utc_now
from api.domain.ocpi.client import OcpiClient, OcpiUnreachable
from api.domain.ocpi.credentials import (
    VERSIONS_PATH,
    check_credentials,
    keep_credentials,
    matching_role,
    our_credentials,
)
from api.domain.ocpi.discovery import Discovery, discover
from api.domain.ocpi.envelope import OcpiError
from api.domain.ocpi.lenient import Repairs, decode_lenient
from api.domain.ocpi.partners import (
    PartnerError,
    check_identity,
    drop_tokens,
    endpoint_url,
    find_partner,
    resolve_partner,
    token_b,
)
from api.domain.ocpi.schemas import Credentials
from api.domain.ocpi.token_vault import hash_token, new_token
from api.settings import Settings

logger = logging.getLogger(__name__)


class RegistrationError(Exception):
    """The handshake with a partner failed; the message says at which step and what the partner answered."""


def our_versions_url(settings: Settings) -> str:
    """Where partners find our versions: VOLTWAY_OCPI_BASE_URL, else the service's public address."""
    return (settings.ocpi_base_url or settings.base_url).rstrip("/") + VERSIONS_PATH


async def _discover(client: OcpiClient, versions_url: str, token: str) -> Discovery:
    try:
        return await discover(client, versions_url, token)
    except OcpiError as exc:
        raise RegistrationError(f"reading the partner's endpoints failed ({exc.status_code}): {exc.message}") from None


def _credentials_url(found: Discovery) -> str:
    url = found.endpoint("credentials", "RECEIVER") or found.endpoint("credentials")
    if url is None:
        raise RegistrationError(f"{found.details_url} lists no credentials endpoint")
    return url


async def _send_credentials(
    client: OcpiClient, method: str, url: str, token: str, body: Credentials, partner: OcpiPartner | None
) -> Credentials:
    """POST or PUT our credentials; the partner's credentials from its answer, checked and repaired."""
    try:
        reply = await client.request(
            method,
            url,
            token=token,
            json=body,
            to_country_code=partner.country_code if partner else None,
            to_party_id=partner.party_id if partner else None,
        )
    except OcpiUnreachable as exc:
        raise RegistrationError(f"could not send our credentials: {exc}") from None
    if not reply.ok:
        raise RegistrationError(f"the partner refused our credentials: {reply.describe()}")
    repairs = Repairs("credentials")
    try:
        theirs = decode_lenient(reply.data, Credentials, repairs)
        check_credentials(theirs)
    except OcpiError as exc:
        raise RegistrationError(f"the partner answered with unusable credentials: {exc.message}") from None
    repairs.log(url=url)
    return theirs


async def _restore_token_c(
    sessions: async_sessionmaker[AsyncSession], partner_id: uuid.UUID, token_c_hash: str | None
) -> None:
    """The handshake failed: the token we offered stops working, the one before it (if any) works again."""
    async with sessions() as session:
        partner = await session.get(OcpiPartner, partner_id)
        if partner is not None:
            partner.token_c_hash = token_c_hash
            await session.commit()


async def _store(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    partner_id: uuid.UUID,
    theirs: Credentials,
    found: Discovery,
    *,
    first: bool,
) -> OcpiPartner:
    """Keep what the partner answered (committed); `first` marks the registration as ours."""
    async with sessions() as session:
        partner = await session.get(OcpiPartner, partner_id)
        assert partner is not None
        _check_identity(partner, theirs)
        keep_credentials(settings, partner, theirs, found)
        if first:
            partner.registered_by = "us"
            partner.registered_at = utc_now()
        await session.commit()
        return partner


def _check_identity(partner: OcpiPartner, theirs: Credentials) -> None:
    role = matching_role(partner, theirs.roles)
    identity = (role.country_code.upper(), role.party_id.upper(), role.role)
    if identity != (partner.country_code, partner.party_id, partner.role):
        logger.warning(
            "OCPI partner %s/%s/%s calls itself %s/%s/%s",
            partner.country_code,
            partner.party_id,
            partner.role,
            *identity,
        )


async def _unregistered_partner(session: AsyncSession, country: str, party: str, kind: str) -> OcpiPartner | None:
    """The stored partner of that identity, if any; refused when it is registered already."""
    partner = await find_partner(session, country, party, kind)
    if partner is not None and partner.status == "registered":
        raise PartnerError(f"partner {country}/{party}/{kind} is already registered: update or unregister it instead")
    return partner


async def register_with_partner(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    *,
    versions_url: str,
    token_a: str,
    country_code: str,
    party_id: str,
    role: str = "EMSP",
    name: str = "",
) -> OcpiPartner:
    """Register with the partner at `versions_url` using its `token_a`; the stored, registered partner."""
    country, party, kind = check_identity(country_code, party_id, role)
    async with sessions() as session:
        await _unregistered_partner(session, country, party, kind)
    async with OcpiClient(settings) as client:
        found = await _discover(client, versions_url.strip(), token_a.strip())
        credentials_url = _credentials_url(found)
        token = new_token()
        async with sessions() as session:
            partner = await _unregistered_partner(session, country, party, kind)
            if partner is None:
                partner = OcpiPartner(
                    id=uuid.uuid4(),
                    country_code=country,
                    party_id=party,
                    role=kind,
                    name=name.strip() or f"{country}/{party}",
                    status="pending",
                    created_at=utc_now(),
                )
                session.add(partner)
            elif name.strip():
                partner.name = name.strip()
            # The partner calls our versions endpoint with this token before it answers: it must work already.
            partner.token_c_hash = hash_token(token)
            partner.token_a_hash = None
            partner.status = "pending"
            partner.updated_at = utc_now()
            await session.commit()
            partner_id = partner.id
        try:
            body = our_credentials(settings, token, our_versions_url(settings))
            theirs = await _send_credentials(client, "POST", credentials_url, token_a.strip(), body, partner)
        except RegistrationError:
            await _restore_token_c(sessions, partner_id, None)
            raise
    stored = await _store(settings, sessions, partner_id, theirs, found, first=True)
    logger.info("registered with OCPI partner %s/%s/%s", stored.country_code, stored.party_id, stored.role)
    return stored


async def _registered_partner(session: AsyncSession, reference: str, hint: str = "") -> OcpiPartner:
    """The partner named by `reference`, which must hold credentials with us (registered, or suspended)."""
    partner = await resolve_partner(session, reference)
    if partner.status not in ("registered", "suspended"):
        raise PartnerError(f"partner {reference!r} is {partner.status}, not registered{hint}")
    return partner


async def update_with_partner(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], reference: str
) -> OcpiPartner:
    """PUT fresh credentials (a new token for it to call us with) and re-read its endpoints."""
    async with sessions() as session:
        partner = await _registered_partner(session, reference, ": register it first")
        current = token_b(partner, settings)
        versions_url = partner.versions_url or ""
        old_hash = partner.token_c_hash
        partner_id = partner.id
    async with OcpiClient(settings) as client:
        found = await _discover(client, versions_url, current)
        credentials_url = _credentials_url(found)
        token = new_token()
        async with sessions() as session:
            row = await session.get(OcpiPartner, partner_id)
            assert row is not None
            row.token_c_hash = hash_token(token)
            await session.commit()
        try:
            theirs = await _send_credentials(
                client,
                "PUT",
                credentials_url,
                current,
                our_credentials(settings, token, our_versions_url(settings)),
                row,
            )
        except RegistrationError:
            await _restore_token_c(sessions, partner_id, old_hash)
            raise
    return await _store(settings, sessions, partner_id, theirs, found, first=False)


async def unregister_with_partner(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], reference: str
) -> OcpiPartner:
    """DELETE our credentials at the partner; then its tokens stop working both ways."""
    async with sessions() as session:
        partner = await _registered_partner(session, reference)
        url = endpoint_url(partner, "credentials", "RECEIVER") or endpoint_url(partner, "credentials", "SENDER")
        if url is None:
            raise PartnerError(f"partner {reference!r} lists no credentials endpoint")
        async with OcpiClient(settings) as client:
            try:
                reply = await client.request(
                    "DELETE",
                    url,
                    token=token_b(partner, settings),
                    to_country_code=partner.country_code,
                    to_party_id=partner.party_id,
                )
            except OcpiUnreachable as exc:
                raise RegistrationError(f"could not reach the partner: {exc}") from None
        # 405: it no longer knows us (already unregistered on its side), which is where we want to end up.
        if not reply.ok and reply.http_status != 405:
            raise RegistrationError(f"the partner refused to unregister us: {reply.describe()}")
        drop_tokens(partner, "unregistered")
        await session.commit()
        return partner
