"""Which partners receive which pushes, kept in memory so the OCPP hot path asks the database nothing per message.

A snapshot of the registered partners (their receiver endpoints, identity and token B) is loaded on first use and
again when it is older than `max_age` seconds (a change made by another process) or after any change to a partner
row made through the ORM in this process (the credentials handshake, `partners revoke`, a suspension). A stale
snapshot is reloaded in the background while callers keep using it, so no caller (the status flush holds a write
transaction) waits for the reload; the token key is derived once (PBKDF2 is slow on purpose), not per partner.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import object_session

from api.db.models.ocpi import OcpiPartner
from api.domain.ocpi.token_vault import fernet_for
from api.settings import Settings

logger = logging.getLogger(__name__)


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

    def __init__(
        self, settings: Settings, session_factory: async_sessionmaker[AsyncSession], *, max_age: float = 10.0
    ) -> None:
        self.settings = settings
        self.max_age = max_age
        self._session_factory = session_factory
        self._by_id: dict[uuid.UUID, PushTarget] = {}
        self._loaded_at: float | None = None
        self._ever_loaded = False
        self._dirty = False
        self._listening = False
        self._fernet: Fernet | None = None
        self._reloading: asyncio.Task[None] | None = None
        self.on_change: Callable[[], None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop of the process's outbox, for `on_change`

    def invalidate(self, *args: Any) -> None:
        """A partner changed: the next use loads the snapshot again before answering; once the change commits,
        `on_change` runs (the outbox wakes: a partner that updated its credentials gets its held pushes now)."""
        self._loaded_at = None
        self._dirty = True
        changed = args[2] if len(args) == 3 else None  # a mapper event: (mapper, connection, the partner)
        session = object_session(changed) if changed is not None else None
        if (
            session is not None
            and self.on_change is not None
            and not event.contains(session, "after_commit", self._committed)
        ):
            event.listen(session, "after_commit", self._committed, once=True)

    def _committed(self, _session: object) -> None:
        # mapper events are global: the commit may be another app's, on another thread's loop
        if self.on_change is not None and self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.on_change)

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
        """The snapshot: loaded with `session` the first time, then refreshed in the background when stale."""
        self._loop = self._loop or asyncio.get_running_loop()
        if not self._ever_loaded or self._dirty:
            await self.load(session)
        elif self._stale():
            self._reload_later()
        return self._by_id

    async def current_from(self, factory: async_sessionmaker[AsyncSession]) -> dict[uuid.UUID, PushTarget]:
        """The snapshot, loaded now when stale (for the sender, which holds no transaction)."""
        self._loop = self._loop or asyncio.get_running_loop()
        if self._stale():
            async with factory() as session:
                await self.load(session)
        return self._by_id

    def _reload_later(self) -> None:
        if self._reloading is None or self._reloading.done():
            self._reloading = asyncio.create_task(self._reload(), name="ocpi-push-targets")

    async def _reload(self) -> None:
        try:
            async with self._session_factory() as session:
                await self.load(session)
        except Exception:
            logger.exception("reloading the OCPI partners failed; pushes use the last known ones")

    def _token(self, partner: OcpiPartner) -> str | None:
        if not partner.token_b_encrypted:
            return None
        if self._fernet is None:
            self._fernet = fernet_for(self.settings)
        try:
            return self._fernet.decrypt(partner.token_b_encrypted.encode()).decode()
        except Exception:  # a token that no longer decrypts (key changed): nothing can be sent to it
            logger.warning("the token of OCPI partner %s/%s does not decrypt", partner.country_code, partner.party_id)
            return None

    async def load(self, session: AsyncSession) -> None:
        loaded_at = time.monotonic()
        self._dirty = False
        partners = (await session.execute(select(OcpiPartner).where(OcpiPartner.status == "registered"))).scalars()
        found: dict[uuid.UUID, PushTarget] = {}
        for partner in partners:
            token = self._token(partner)
            endpoints = tuple(
                (str(item.get("identifier")), str(item.get("role")), str(item.get("url")))
                for item in partner.endpoints or []
                if item.get("url")
            )
            found[partner.id] = PushTarget(partner.id, partner.country_code, partner.party_id, token, endpoints)
        self._by_id = found
        self._loaded_at = loaded_at
        self._ever_loaded = True

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
