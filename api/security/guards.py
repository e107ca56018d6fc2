"""Role guards: every protected route names the roles it admits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.handlers.base import BaseRouteHandler

from api.errors import Forbidden, Unauthorized
from api.security.sign_ins import SignInCheck
from api.security.tokens import AccessTokenIssuer, InvalidToken, Principal, Role

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]


def _bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if connection.scope["type"] == ScopeType.WEBSOCKET:
        return connection.query_params.get("token") or None
    return None


def authenticated(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The principal a guard of this route has already checked; routes that take a principal need a guard."""
    cached = connection.scope.get("state", {}).get("principal")
    if isinstance(cached, Principal):
        return cached
    raise Unauthorized("Sign in and send the access token as 'Authorization: Bearer <token>'.")


async def verify_access_token(connection: ASGIConnection[Any, Any, Any, Any], token: str) -> Principal:
    """A valid signature is not enough: the token's sign-in must still be open and its account not erased."""
    issuer: AccessTokenIssuer = connection.app.state.access_tokens
    try:
        principal = issuer.verify(token)
    except InvalidToken as exc:
        raise Unauthorized(str(exc).capitalize() + ".") from None
    sign_ins: SignInCheck = connection.app.state.sign_ins
    if not await sign_ins.is_open(principal):
        raise Unauthorized("This sign-in has ended; sign in again.")
    return principal


async def authenticate(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The caller's principal, verified once per request and kept on the connection state."""
    cached = connection.scope.get("state", {}).get("principal")
    if isinstance(cached, Principal):
        return cached
    token = _bearer_token(connection)
    if token is None:
        raise Unauthorized("Sign in and send the access token as 'Authorization: Bearer <token>'.")
    principal = await verify_access_token(connection, token)
    connection.scope.setdefault("state", {})["principal"] = principal
    return principal


class RoleGuard:
    """A guard admitting callers whose token carries one of `roles`; the API document and the authorisation
    tests read `roles` to know who may call a route."""

    __slots__ = ("roles",)

    def __init__(self, roles: frozenset[Role]) -> None:
        self.roles = roles

    async def __call__(self, connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = await authenticate(connection)
        if principal.role not in self.roles:
            raise Forbidden(f"This needs the {' or '.join(sorted(self.roles))} role.")


def requires_role(*roles: Role) -> RoleGuard:
    """A guard admitting callers whose token carries one of `roles`."""
    return RoleGuard(frozenset(roles))


signed_in = requires_role("driver", "agent", "operator", "admin")
staff_only = requires_role("agent", "admin")
admin_only = requires_role("admin")
# Operators keep chargers running on their own sites (see api/domain/operations/scope.py); admins act on everything.
operations = requires_role("operator", "admin")
