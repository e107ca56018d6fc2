"""Partner storage: create a partner with its token A, find the partner behind a token, read its endpoints.

Statuses: `pending` after `voltway ocpi partners add`, `registered` after the credentials handshake, `suspended`
after it answered one of our pushes with 401, `unregistered` after a credentials DELETE and `revoked` by an
operator. Only pending, registered and suspended partners can call us.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models.ocpi import OcpiPartner
from api.db.types import utc_now
from api.domain.ocpi.schemas import ROLES
from api.domain.ocpi.token_vault import decrypt_token, hash_token, new_token
from api.settings import Settings

ACTIVE_STATUSES = ("pending", "registered", "suspended")
_COUNTRY = re.compile(r"[A-Z]{2}")
_PARTY = re.compile(r"[A-Z0-9]{3}")

# The settings token B is decrypted with when `token_b` is called without them (set by the app and the CLI).
_current_settings: list[Settings] = []


class PartnerError(Exception):
    """Bad input for a partner (country code, party id, role, name) or a conflict; the message says which."""


def use_settings(settings: Settings) -> None:
    """Remember the settings whose key decrypts stored tokens, for `token_b(partner)`."""
    _current_settings[:] = [settings]


def check_identity(country_code: str, party_id: str, role: str) -> tuple[str, str, str]:
    """Normalise (upper case, trimmed) and check a partner's OCPI identity."""
    country = country_code.strip().upper()
    party = party_id.strip().upper()
    kind = role.strip().upper()
    if not _COUNTRY.fullmatch(country):
        raise PartnerError(f"country code must be two letters (ISO 3166-1 alpha-2), got {country_code!r}")
    if not _PARTY.fullmatch(party):
        raise PartnerError(f"party id must be three letters or digits, got {party_id!r}")
    if kind not in ROLES:
        raise PartnerError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    return country, party, kind


async def find_partner(session: AsyncSession, country_code: str, party_id: str, role: str) -> OcpiPartner | None:
    return await session.scalar(
        select(OcpiPartner).where(
            OcpiPartner.country_code == country_code,
            OcpiPartner.party_id == party_id,
            OcpiPartner.role == role,
        )
    )


async def create_partner(
    session: AsyncSession, *, country_code: str, party_id: str, role: str, name: str
) -> tuple[OcpiPartner, str]:
    """A pending partner and its token A (returned once; only its hash is stored). Commits.

    A partner that was unregistered or revoked gets a fresh token A and is pending again; an active one is a
    conflict.
    """
    country, party, kind = check_identity(country_code, party_id, role)
    label = name.strip()
    if not label or len(label) > 200:
        raise PartnerError("name must be 1 to 200 characters")
    token_a = new_token()
    partner = await find_partner(session, country, party, kind)
    if partner is not None and partner.status in ACTIVE_STATUSES:
        raise PartnerError(f"partner {country}/{party}/{kind} already exists ({partner.status})")
    now = utc_now()
    if partner is None:
        partner = OcpiPartner(
            id=uuid.uuid4(), country_code=country, party_id=party, role=kind, created_at=now, name=label
        )
        session.add(partner)
    partner.name = label
    partner.status = "pending"
    partner.token_a_hash = hash_token(token_a)
    partner.token_c_hash = None
    partner.token_b_encrypted = None
    partner.endpoints = None
    partner.updated_at = now
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise PartnerError(f"partner {country}/{party}/{kind} already exists") from None
    return partner, token_a


async def list_partners(session: AsyncSession) -> list[OcpiPartner]:
    rows = await session.scalars(
        select(OcpiPartner).order_by(OcpiPartner.country_code, OcpiPartner.party_id, OcpiPartner.role)
    )
    return list(rows)


async def resolve_partner(session: AsyncSession, reference: str) -> OcpiPartner:
    """A partner by id or by `CC/PARTY[/ROLE]` (the role may be left out when only one role matches)."""
    text = reference.strip()
    try:
        partner = await session.get(OcpiPartner, uuid.UUID(text))
    except ValueError:
        partner = None
        parts = [p.strip().upper() for p in text.split("/")]
        if len(parts) in (2, 3):
            query = select(OcpiPartner).where(OcpiPartner.country_code == parts[0], OcpiPartner.party_id == parts[1])
            if len(parts) == 3:
                query = query.where(OcpiPartner.role == parts[2])
            found = list(await session.scalars(query))
            if len(found) > 1:
                raise PartnerError(f"{reference!r} names several partners; add the role, e.g. {text}/EMSP") from None
            partner = found[0] if found else None
    if partner is None:
        raise PartnerError(f"no partner {reference!r} (give its id or COUNTRY/PARTY[/ROLE], see `partners list`)")
    return partner


def drop_tokens(partner: OcpiPartner, status: str) -> None:
    """Leave the partner `status` (revoked, unregistered) with no token that works either way (not committed)."""
    partner.status = status
    partner.token_a_hash = None
    partner.token_c_hash = None
    partner.token_b_encrypted = None
    partner.updated_at = utc_now()


async def revoke_partner(session: AsyncSession, partner: OcpiPartner) -> None:
    """Every token of the partner stops working at once (401 from then on); the row stays for the records."""
    drop_tokens(partner, "revoked")
    await session.commit()


async def suspend_partner(session: AsyncSession, partner_id: uuid.UUID) -> None:
    """A registered partner answered us with 401: stop sending to it until its credentials are updated (a PUT from
    it, or `voltway ocpi partners update`, registers it again). It can still call us. Does not commit."""
    partner = await session.get(OcpiPartner, partner_id)
    if partner is not None and partner.status == "registered":
        partner.status = "suspended"
        partner.updated_at = utc_now()


async def partner_for_token(session: AsyncSession, candidates: Iterable[str]) -> tuple[OcpiPartner, bool] | None:
    """The active partner one of the candidate tokens belongs to, and whether it was its token C (True) or A."""
    hashes = list({hash_token(token) for token in candidates if token})
    if not hashes:
        return None
    partner = await session.scalar(
        select(OcpiPartner).where(
            or_(OcpiPartner.token_c_hash.in_(hashes), OcpiPartner.token_a_hash.in_(hashes)),
            OcpiPartner.status.in_(ACTIVE_STATUSES),
        )
    )
    if partner is None:
        return None
    return partner, partner.token_c_hash in hashes


async def partner_endpoint(session: AsyncSession, partner_id: uuid.UUID, identifier: str, role: str) -> str | None:
    """The partner's URL for a module, e.g. ("sessions", "RECEIVER"); None when it has none or is not registered."""
    partner = await session.get(OcpiPartner, partner_id)
    if partner is None or partner.status != "registered":
        return None
    return endpoint_url(partner, identifier, role)


def endpoint_url(partner: OcpiPartner, identifier: str, role: str) -> str | None:
    for endpoint in partner.endpoints or []:
        if endpoint.get("identifier") == identifier and endpoint.get("role") == role:
            url = endpoint.get("url")
            return str(url) if url else None
    return None


def token_b(partner: OcpiPartner, settings: Settings | None = None) -> str:
    """The token we send to this partner, decrypted. Raises PartnerError when we hold none."""
    if partner.token_b_encrypted is None:
        raise PartnerError(f"partner {partner.country_code}/{partner.party_id} gave us no token")
    chosen = settings or (_current_settings[0] if _current_settings else None)
    if chosen is None:
        raise RuntimeError("token_b needs settings: call use_settings(settings) first")
    return decrypt_token(chosen, partner.token_b_encrypted)
