"""What `voltway ocpi partners ...` does, as text for the terminal (the CLI module only parses arguments)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.engine import create_engine, create_session_factory
from api.db.types import utc_now
from api.domain.ocpi.partners import create_partner, list_partners, resolve_partner, revoke_partner
from api.domain.ocpi.registration import (
    our_versions_url,
    register_with_partner,
    unregister_with_partner,
    update_with_partner,
)
from api.settings import Settings


@contextlib.asynccontextmanager
async def _database(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the configured database for one command; the engine is closed when it ends."""
    engine = create_engine(settings.database_url)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


async def add(settings: Settings, *, country_code: str, party_id: str, role: str, name: str) -> str:
    async with _database(settings) as sessions, sessions() as session:
        partner, token_a = await create_partner(
            session, country_code=country_code, party_id=party_id, role=role, name=name
        )
    return (
        f"created partner {partner.country_code}/{partner.party_id}/{partner.role} {partner.name!r} ({partner.id})\n"
        f"token A (shown once; only its hash is kept): {token_a}\n"
        f"hand it over with our versions URL: {our_versions_url(settings)}\n"
    )


async def listing(settings: Settings) -> str:
    async with _database(settings) as sessions, sessions() as session:
        partners = await list_partners(session)
    if not partners:
        return "no OCPI partners yet (add one with `voltway ocpi partners add`)\n"
    lines = [f"{'ID':36}  {'PARTY':12}  {'STATUS':12}  {'VERSION':7}  {'MODULES':7}  NAME"]
    for p in partners:
        party = f"{p.country_code}/{p.party_id}/{p.role}"
        lines.append(
            f"{p.id!s:36}  {party:12}  {p.status:12}  {p.version or '-':7}  {len(p.endpoints or []):7}  {p.name}"
        )
    return "\n".join(lines) + "\n"


async def revoke(settings: Settings, reference: str) -> str:
    async with _database(settings) as sessions, sessions() as session:
        partner = await resolve_partner(session, reference)
        await revoke_partner(session, partner)
    return (
        f"revoked {partner.country_code}/{partner.party_id}/{partner.role}: its tokens no longer work "
        f"(since {utc_now():%Y-%m-%d %H:%M:%S} UTC)\n"
    )


async def register(
    settings: Settings, *, versions_url: str, token: str, country_code: str, party_id: str, role: str, name: str
) -> str:
    async with _database(settings) as sessions:
        partner = await register_with_partner(
            settings,
            sessions,
            versions_url=versions_url,
            token_a=token,
            country_code=country_code,
            party_id=party_id,
            role=role,
            name=name,
        )
    return (
        f"registered with {partner.country_code}/{partner.party_id}/{partner.role} {partner.name!r} ({partner.id}): "
        f"OCPI {partner.version}, {len(partner.endpoints or [])} endpoints\n"
    )


async def update(settings: Settings, reference: str) -> str:
    async with _database(settings) as sessions:
        partner = await update_with_partner(settings, sessions, reference)
    return (
        f"updated our credentials at {partner.country_code}/{partner.party_id}/{partner.role}: "
        f"{len(partner.endpoints or [])} endpoints\n"
    )


async def unregister(settings: Settings, reference: str) -> str:
    async with _database(settings) as sessions:
        partner = await unregister_with_partner(settings, sessions, reference)
    return f"unregistered from {partner.country_code}/{partner.party_id}/{partner.role}\n"
