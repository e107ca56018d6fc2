"""Which partners receive which pushes, kept in memory so the OCPP hot path asks the database nothing per message.

A snapshot of the registered partners (their receiver endpoints, identity and token B) is loaded on first use and
again when it is older than `max_age` seconds (a change made by another process) or after any change to a partner
row made through the ORM in this process (the credentials handshake, `partners revoke`, a suspension).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models.ocpi import OcpiPartner
from api.domain.ocpi.partners import token_b
from api.settings import Settings


@dataclass(frozen=True, slots=True)
class PushTarget:
    partner_id: uuid.UUID
    country_code: str
    party_id: str
    token: str | None  # token B, decrypted; None when the partner gave none
    endpoints: tuple[tuple[str, str, str], ...]  # (identifier, role, url)

    def receiver(self, identifier: str) -> str | None:
        """The partner's RECEIVER endpoint URL for a module, without a trailing slash."""
        for name, role, url in self.endpoints:
            if name == identifier and role == "RECEIVER":
                return url.rstrip("/")
        return None


class PushTargets:
    """The snapshot; `await targets.current(session)` is a dictionary lookup unless the snapshot is stale."""

    def __init__(self, settings: Settings, *, max_age: float = 10.0) -> None:
        self.settings = settings
        self.max_age = max_age
        self._by_id: dict[uuid.UUID, PushTarget] = {}
        self._loaded_at: float | None = None
        self._listening = False

    def invalidate(self, *_args: Any) -> None:
        self._loaded_at = None

    def listen(self) -> None:
        """Invalidate on every ORM insert, update or delete of a partner row in this process."""
        if not self._listening:
            for name in ("after_insert", "after_update", "after_delete"):
                event.listen(OcpiPartner, name, self.invalidate)
            self._listening = True

    def unlisten(self) -> None:
        if self._listening:
            for name in ("after_insert", "after_update", "after_delete"):
                event.remove(OcpiPartner, name, self.invalidate)
            self._listening = False

    def _stale(self) -> bool:
        return self._loaded_at is None or time.monotonic() - self._loaded_at > self.max_age

    async def current(self, session: AsyncSession) -> dict[uuid.UUID, PushTarget]:
        if self._stale():
            await self.load(session)
        return self._by_id

    async def current_from(self, factory: async_sessionmaker[AsyncSession]) -> dict[uuid.UUID, PushTarget]:
        if self._stale():
            async with factory() as session:
                await self.load(session)
        return self._by_id

    async def load(self, session: AsyncSession) -> None:
        loaded_at = time.monotonic()
        partners = (await session.execute(select(OcpiPartner).where(OcpiPartner.status == "registered"))).scalars()
        found: dict[uuid.UUID, PushTarget] = {}
        for partner in partners:
            try:
                token = token_b(partner, self.settings) if partner.token_b_encrypted else None
            except Exception:  # a token that no longer decrypts (key changed): nothing can be sent to it
                token = None
            endpoints = tuple(
                (str(item.get("identifier")), str(item.get("role")), str(item.get("url")))
                for item in partner.endpoints or []
                if item.get("url")
            )
            found[partner.id] = PushTarget(partner.id, partner.country_code, partner.party_id, token, endpoints)
        self._by_id = found
        self._loaded_at = loaded_at

    async def receivers(self, session: AsyncSession, identifier: str) -> list[tuple[PushTarget, str]]:
        """Every registered partner with a RECEIVER endpoint for `identifier`, with that endpoint's URL."""
        targets = await self.current(session)
        found = []
        for target in targets.values():
            url = target.receiver(identifier)
            if url is not None:
                found.append((target, url))
        return found


__all__ = ["PushTarget", "PushTargets"]
