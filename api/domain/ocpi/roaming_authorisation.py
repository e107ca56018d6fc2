"""Roaming drivers at our chargers: the verdict on a token an eMSP pushed to us, and what a session it starts keeps.

The chargers' Authorize (and the token checks of StartTransaction / TransactionEvent) ask here about uids that are
not our own drivers' cards. Per the token's `whitelist` (OCPI mod_tokens WhitelistType):
- ALWAYS: the stored token decides (`valid`), no real-time authorisation;
- ALLOWED: real-time authorisation when the eMSP offers the tokens SENDER endpoint, else the stored token;
- ALLOWED_OFFLINE: real-time authorisation; when the eMSP cannot be reached, the stored token;
- NEVER: real-time authorisation only; an eMSP that cannot be reached means no.
An eMSP's answer (and its `authorization_reference`) is remembered for the session the token then starts, which
is the partner's: source "ocpi", its CdrToken, auth method AUTH_REQUEST or WHITELIST.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any, Final, Literal, Protocol

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import Location, OcpiToken
from api.db.models.ocpi import OcpiPartner
from api.domain.chargers.authorisation import UNKNOWN, TokenVerdict
from api.domain.ocpi.client import OcpiClient, OcpiReply
from api.domain.ocpi.partners import partner_endpoint, token_b
from api.domain.ocpi.tokens import cdr_token_of
from api.settings import Settings
from ocpp_bridge.events import IdTokenInfo

logger = logging.getLogger(__name__)

REALTIME_TIMEOUT_SECONDS: Final = 5.0  # a driver waits at the charger: never longer than this for the eMSP
REMEMBER_SECONDS: Final = 600.0  # an eMSP's answer is kept this long for the session the token starts
USABLE_PARTNER_STATUSES: Final = ("registered", "suspended")  # suspended: it refused our pushes, not its drivers

# OCPI AllowedType -> the OCPP verdict
_ALLOWED_STATUS: Final[dict[str, str]] = {
    "ALLOWED": "Accepted",
    "BLOCKED": "Blocked",
    "EXPIRED": "Expired",
    "NO_CREDIT": "NoCredit",
    "NOT_ALLOWED": "NotAtThisLocation",
}


class OcpiRequester(Protocol):
    """The outbound OCPI client (`OcpiClient`), as far as real-time authorisation uses it."""

    async def request(
        self, method: str, url: str, *, token: str, json: object | None = None, params: dict[str, str] | None = None
    ) -> OcpiReply: ...

    async def __aenter__(self) -> OcpiRequester: ...

    async def __aexit__(self, kind: Any, error: Any, trace: Any) -> None: ...


class AuthorizationInfo(msgspec.Struct, kw_only=True):
    """The eMSP's answer to POST {tokens}/{uid}/authorize (extra fields ignored)."""

    allowed: str
    authorization_reference: str | None = None


class RoamingStart(msgspec.Struct, frozen=True, kw_only=True):
    """What a session started by a roaming token keeps about it."""

    partner_id: uuid.UUID
    cdr_token: dict[str, str]
    auth_method: Literal["AUTH_REQUEST", "WHITELIST"]
    authorization_reference: str | None = None

    def session_columns(self) -> dict[str, Any]:
        return {
            "ocpi_partner_id": self.partner_id,
            "ocpi_cdr_token": self.cdr_token,
            "ocpi_auth_method": self.auth_method,
            "ocpi_authorization_reference": self.authorization_reference,
        }


def _local(token: OcpiToken) -> TokenVerdict:
    info = IdTokenInfo(status="Accepted" if token.valid else "Blocked", parent_id_token=token.group_id)
    return TokenVerdict(info, None, token.group_id)


class RoamingAuthoriser:
    """Implements the bridge backend's `RoamingTokens` and the sessions service's `RoamingSessions`."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        client: Callable[[], OcpiRequester] | None = None,
        timeout_seconds: float = REALTIME_TIMEOUT_SECONDS,
    ) -> None:
        self._session_factory = session_factory
        self._settings = settings
        self._client: Callable[[], OcpiRequester] = client or functools.partial(OcpiClient, settings)
        self.timeout_seconds = timeout_seconds
        self._starts: dict[str, tuple[float, RoamingStart]] = {}

    async def _token(self, session: AsyncSession, uid: str) -> tuple[OcpiToken, OcpiPartner] | None:
        """The stored token with this uid (an RFID one first) of a partner we still work with."""
        rows = list(
            (
                await session.execute(
                    select(OcpiToken, OcpiPartner)
                    .join(OcpiPartner, OcpiPartner.id == OcpiToken.partner_id)
                    .where(OcpiToken.uid == uid, OcpiPartner.status.in_(USABLE_PARTNER_STATUSES))
                )
            ).all()
        )
        if not rows:
            return None
        rows.sort(key=lambda row: (row[0].type != "RFID", -row[0].last_updated.timestamp()))
        return rows[0]

    async def verdict(self, uid: str, location_id: uuid.UUID | None = None) -> TokenVerdict | None:
        """The verdict on a roaming token, or None when no eMSP pushed a token with this uid."""
        async with self._session_factory() as session:
            found = await self._token(session, uid)
            if found is None:
                return None
            token, partner = found
            start = RoamingStart(partner_id=partner.id, cdr_token=cdr_token_of(token), auth_method="WHITELIST")
            if token.whitelist == "ALWAYS":
                return self._remember(uid, start, _local(token))
            url = await partner_endpoint(session, partner.id, "tokens", "SENDER")
            location = await self._location_reference(session, location_id)
        answer = await self._ask(url, partner, token, location) if url else None
        if answer is not None:
            status = _ALLOWED_STATUS.get(answer.allowed, "Invalid")
            verdict = TokenVerdict(IdTokenInfo(status=status, parent_id_token=token.group_id), None, token.group_id)  # type: ignore[arg-type]
            start = msgspec.structs.replace(
                start,
                auth_method="AUTH_REQUEST",
                authorization_reference=(answer.authorization_reference or None),
            )
            return self._remember(uid, start, verdict)
        if token.whitelist == "NEVER":
            logger.warning("token %s needs real-time authorisation and its eMSP did not answer: refused", uid)
            return UNKNOWN
        return self._remember(uid, start, _local(token))

    async def _location_reference(self, session: AsyncSession, location_id: uuid.UUID | None) -> dict[str, Any] | None:
        if location_id is None:
            return None
        ocpi_id = (await session.execute(select(Location.ocpi_id).where(Location.id == location_id))).scalar()
        return {"location_id": ocpi_id} if ocpi_id else None

    async def _ask(
        self, url: str, partner: OcpiPartner, token: OcpiToken, location: dict[str, Any] | None
    ) -> AuthorizationInfo | None:
        """POST {tokens}/{uid}/authorize?type=; None when the eMSP did not answer in time or answered nonsense."""
        try:
            async with asyncio.timeout(self.timeout_seconds), self._client() as client:
                reply = await client.request(
                    "POST",
                    f"{url.rstrip('/')}/{token.uid}/authorize",
                    token=token_b(partner, self._settings),
                    json=location,
                    params={"type": token.type},
                )
        except Exception as exc:  # a timeout, a refused connection, a broken answer: the eMSP is not reachable
            logger.warning("real-time authorisation of %s at %s failed: %r", token.uid, url, exc)
            return None
        if not reply.ok or not isinstance(reply.data, dict):
            logger.warning("real-time authorisation of %s: the eMSP answered %s", token.uid, reply.describe())
            return None
        try:
            return msgspec.convert(reply.data, AuthorizationInfo, strict=False)
        except msgspec.ValidationError as exc:
            logger.warning("real-time authorisation of %s: unreadable AuthorizationInfo: %s", token.uid, exc)
            return None

    def _remember(self, uid: str, start: RoamingStart, verdict: TokenVerdict) -> TokenVerdict:
        now = time.monotonic()
        if len(self._starts) > 10_000:
            self._starts = {key: entry for key, entry in self._starts.items() if entry[0] > now}
        if verdict.info.status == "Accepted":
            self._starts[uid] = (now + REMEMBER_SECONDS, start)
        return verdict

    async def session_columns(self, uid: str) -> dict[str, Any] | None:
        """The OCPI columns of a session the roaming token `uid` started, or None if it is not a roaming token."""
        remembered = self._starts.get(uid)
        if remembered is not None and remembered[0] > time.monotonic():
            return remembered[1].session_columns()
        async with self._session_factory() as session:  # accepted by another process, or long ago
            found = await self._token(session, uid)
        if found is None:
            return None
        token, partner = found
        return RoamingStart(
            partner_id=partner.id, cdr_token=cdr_token_of(token), auth_method="WHITELIST"
        ).session_columns()
