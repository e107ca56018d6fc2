"""The credentials module (credentials.asciidoc), as the server: a partner registers with us (POST with token A,
sending its token B), updates (PUT), reads (GET) and unregisters (DELETE).

On POST and PUT we read the partner's versions and 2.2.1 endpoints with its token B before answering, and answer
with our credentials carrying a new token C; from then on token A no longer works.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import Controller, Request, Response, delete, get, post, put
from sqlalchemy.exc import IntegrityError

from api.db.models.ocpi import OcpiPartner
from api.db.types import utc_now
from api.domain.ocpi.auth import TOKEN_A_ALLOWED, Caller, OcpiCaller
from api.domain.ocpi.client import OcpiClient
from api.domain.ocpi.discovery import Discovery, discover
from api.domain.ocpi.envelope import OcpiError, OcpiStatus, ocpi_response
from api.domain.ocpi.lenient import Repairs, decode_lenient
from api.domain.ocpi.pagination import public_url
from api.domain.ocpi.partners import drop_tokens
from api.domain.ocpi.schemas import BusinessDetails, Credentials, CredentialsRole
from api.domain.ocpi.token_vault import encrypt_token, hash_token, new_token
from api.settings import Settings

logger = logging.getLogger(__name__)

VERSIONS_PATH = "/ocpi/versions"
_TOKEN = re.compile(r"[\x21-\x7e]{1,64}")
_URL = re.compile(r"https?://\S+")


def our_credentials(settings: Settings, token: str, versions_url: str) -> Credentials:
    """Our credentials object: the token the partner is to send us, our versions URL, our CPO role."""
    return Credentials(
        token=token,
        url=versions_url,
        roles=[
            CredentialsRole(
                role="CPO",
                business_details=BusinessDetails(name=settings.operator_name),
                party_id=settings.ocpi_party_id,
                country_code=settings.ocpi_country_code,
            )
        ],
    )


def check_credentials(credentials: Credentials) -> None:
    """The rules of the Credentials object that msgspec cannot check: token and URL shape, at least one role."""
    if not _TOKEN.fullmatch(credentials.token):
        raise OcpiError(
            OcpiStatus.INVALID_PARAMETERS, "token must be 1 to 64 printable ASCII characters without spaces"
        )
    if not _URL.fullmatch(credentials.url):
        raise OcpiError(OcpiStatus.INVALID_PARAMETERS, f"url must be an http(s) URL, got {credentials.url!r}")
    if not credentials.roles:
        raise OcpiError(OcpiStatus.INVALID_PARAMETERS, "roles must list at least one role")


def matching_role(partner: OcpiPartner, roles: list[CredentialsRole]) -> CredentialsRole:
    """The role of the credentials that is this partner: same identity, else same role, else the only one."""
    for role in roles:
        if (role.country_code.upper(), role.party_id.upper(), role.role) == (
            partner.country_code,
            partner.party_id,
            partner.role,
        ):
            return role
    same_kind = [role for role in roles if role.role == partner.role]
    if len(same_kind) == 1:
        return same_kind[0]
    if len(roles) == 1:
        return roles[0]
    raise OcpiError(
        OcpiStatus.INVALID_PARAMETERS,
        f"roles do not include {partner.country_code}/{partner.party_id}/{partner.role}, the party this token was "
        "issued to",
    )


def keep_credentials(settings: Settings, partner: OcpiPartner, theirs: Credentials, found: Discovery) -> None:
    """Record a finished handshake on the partner (not committed), whichever side started it: registered, its token
    B (encrypted), its versions URL with the endpoints found there, its roles; token A is used up."""
    partner.status = "registered"
    partner.token_a_hash = None
    partner.token_b_encrypted = encrypt_token(settings, theirs.token)
    partner.versions_url = theirs.url
    partner.version = found.version
    partner.endpoints = [{"identifier": e.identifier, "role": e.role, "url": e.url} for e in found.endpoints]
    partner.roles = [
        {
            "role": r.role,
            "party_id": r.party_id,
            "country_code": r.country_code,
            "business_details": {"name": r.business_details.name, "website": r.business_details.website},
        }
        for r in theirs.roles
    ]
    partner.updated_at = utc_now()


def _settings(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _read_credentials(request: Request[Any, Any, Any], caller: OcpiCaller) -> Credentials:
    repairs = Repairs("credentials")
    credentials = decode_lenient(await request.body(), Credentials, repairs)
    repairs.log(partner=f"{caller.country_code}/{caller.party_id}")
    check_credentials(credentials)
    return credentials


async def _exchange(request: Request[Any, Any, Any], caller: OcpiCaller, *, first: bool) -> Response[bytes]:
    """POST and PUT: read the partner's endpoints with its token, store everything, answer with a new token C."""
    settings = _settings(request)
    credentials = await _read_credentials(request, caller)
    async with OcpiClient(settings) as client:
        found = await discover(client, credentials.url, credentials.token)
    token_c = new_token()
    async with request.app.state.session_factory() as session:
        partner = await session.get(OcpiPartner, caller.partner_id, with_for_update=True)
        if partner is None or partner.status not in ("pending", "registered", "suspended"):
            raise OcpiError(OcpiStatus.CLIENT_ERROR, "Unknown credentials token.", http_status=401)
        presented = hash_token(caller.token)
        if presented != (partner.token_a_hash if first else partner.token_c_hash):
            # Another request with the same token got here first (two POSTs at once, or a PUT that renewed it).
            raise OcpiError(OcpiStatus.CLIENT_ERROR, "These credentials were exchanged already.", http_status=405)
        role = matching_role(partner, credentials.roles)
        identity = (role.country_code.upper(), role.party_id.upper(), role.role)
        if identity != (partner.country_code, partner.party_id, partner.role):
            logger.warning(
                "OCPI partner %s/%s/%s registered as %s/%s/%s",
                partner.country_code,
                partner.party_id,
                partner.role,
                *identity,
            )
            partner.country_code, partner.party_id, partner.role = identity
        now = utc_now()
        partner.name = role.business_details.name[:200] or partner.name
        keep_credentials(settings, partner, credentials, found)
        partner.token_c_hash = hash_token(token_c)
        if first:
            partner.registered_by = "partner"
            partner.registered_at = now
        partner.updated_at = now
        try:
            await session.commit()
        except IntegrityError:
            raise OcpiError(
                OcpiStatus.INVALID_PARAMETERS, f"another partner is already registered as {'/'.join(identity)}"
            ) from None
    logger.info("OCPI partner %s/%s/%s %s", *identity, "registered with us" if first else "updated its credentials")
    body = our_credentials(settings, token_c, public_url(request, VERSIONS_PATH))
    return ocpi_response(body)


class CredentialsController(Controller):
    """Credentials: the handshake partners start with us."""

    path = "/credentials"
    opt = TOKEN_A_ALLOWED

    @get()
    async def read(self, request: Request[Any, Any, Any], caller: Caller) -> Response[bytes]:
        """Our credentials for the caller: the token it called with, our versions URL, our roles."""
        settings = _settings(request)
        return ocpi_response(our_credentials(settings, caller.token, public_url(request, VERSIONS_PATH)))

    @post(status_code=200)
    async def register(self, request: Request[Any, Any, Any], caller: Caller) -> Response[bytes]:
        """Register: called with token A, carrying the partner's token B; answered with our token C."""
        if caller.registered:
            raise OcpiError(
                OcpiStatus.CLIENT_ERROR, "Already registered: use PUT to update the credentials.", http_status=405
            )
        return await _exchange(request, caller, first=True)

    @put()
    async def update(self, request: Request[Any, Any, Any], caller: Caller) -> Response[bytes]:
        """Update: new token B and/or endpoints from the partner, a new token C from us."""
        if not caller.registered:
            raise OcpiError(OcpiStatus.CLIENT_ERROR, "Not registered yet: use POST to register.", http_status=405)
        return await _exchange(request, caller, first=False)

    @delete(status_code=200)
    async def unregister(self, request: Request[Any, Any, Any], caller: Caller) -> Response[bytes]:
        """Unregister: the partner's tokens stop working both ways."""
        if not caller.registered:
            raise OcpiError(OcpiStatus.CLIENT_ERROR, "Not registered: nothing to unregister.", http_status=405)
        async with request.app.state.session_factory() as session:
            partner = await session.get(OcpiPartner, caller.partner_id)
            if partner is not None:
                drop_tokens(partner, "unregistered")
                await session.commit()
        logger.info("OCPI partner %s/%s/%s unregistered", caller.country_code, caller.party_id, caller.role)
        return ocpi_response(None)
