"""The OCPI area's guard: `Authorization: Token <token>` identifies the calling partner.

The token may be sent Base64-encoded (2.2.1) or raw (what many 2.1.1/2.2 platforms still send): both are tried.
Token A (the handshake token) is only good for versions and credentials; token C for everything. Routes opt in
with `opt`: `TOKEN_A_ALLOWED` (versions, credentials) or `PUBLIC` (no token at all, e.g. an open data feed).
The app's JWT (`Bearer ...`) is never accepted here.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any, Final

import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler

from api.domain.ocpi.envelope import unauthorized
from api.domain.ocpi.partners import partner_for_token
from api.domain.ocpi.token_vault import hash_token

AUTH_OPT: Final = "ocpi_auth"
TOKEN_A_ALLOWED: Final = {AUTH_OPT: "token_a"}
PUBLIC: Final = {AUTH_OPT: "public"}
_STATE_KEY: Final = "ocpi_caller"
_MISSING = "Send the credentials token as 'Authorization: Token <base64 of the token>'."


class OcpiCaller(msgspec.Struct, frozen=True):
    """The partner behind a request. `registered` is False while it only holds token A."""

    partner_id: uuid.UUID
    country_code: str
    party_id: str
    role: str
    registered: bool
    token: str = ""  # the token as presented (decoded): credentials GET returns it

    def __repr__(self) -> str:  # never the token, should a caller end up in a log line
        return (
            f"OcpiCaller(partner_id={self.partner_id!s}, party={self.country_code}/{self.party_id}/{self.role}, "
            f"registered={self.registered})"
        )


Caller = NamedDependency[OcpiCaller]  # a handler's `caller: Caller` parameter


def token_candidates(header: str) -> list[str]:
    """What `Authorization: Token ...` may carry: the decoded Base64 token first, then the text as it is."""
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "token" or not value:
        return []
    candidates: list[str] = []
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode("ascii").strip()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = ""
    if decoded and decoded.isprintable() and " " not in decoded:
        candidates.append(decoded)
    candidates.append(value)
    return candidates


async def authenticate_partner(connection: ASGIConnection[Any, Any, Any, Any]) -> OcpiCaller:
    """The caller's partner, looked up once per request and kept on the connection state; 401 otherwise."""
    cached = connection.scope.get("state", {}).get(_STATE_KEY)
    if isinstance(cached, OcpiCaller):
        return cached
    candidates = token_candidates(connection.headers.get("authorization", ""))
    if not candidates:
        raise unauthorized(_MISSING)
    async with connection.app.state.session_factory() as session:
        found = await partner_for_token(session, candidates)
    if found is None:
        raise unauthorized("Unknown credentials token.")
    partner, registered = found
    own = {partner.token_a_hash, partner.token_c_hash}
    presented = next((token for token in candidates if hash_token(token) in own), candidates[0])
    caller = OcpiCaller(
        partner_id=partner.id,
        country_code=partner.country_code,
        party_id=partner.party_id,
        role=partner.role,
        registered=registered,
        token=presented,
    )
    connection.scope.setdefault("state", {})[_STATE_KEY] = caller
    return caller


async def ocpi_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Admit registered partners everywhere, token A holders on versions and credentials, anyone on PUBLIC routes."""
    mode = handler.opt.get(AUTH_OPT)
    if mode == "public":
        return
    caller = await authenticate_partner(connection)
    if not caller.registered and mode != "token_a":
        raise unauthorized("This token only opens versions and credentials: finish the credentials handshake first.")


def provide_caller(request: Request[Any, Any, Any]) -> OcpiCaller:
    """The partner the guard admitted (dependency `caller`)."""
    cached = request.scope.get("state", {}).get(_STATE_KEY)
    if isinstance(cached, OcpiCaller):
        return cached
    raise unauthorized(_MISSING)
