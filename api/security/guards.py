"""Role guards: every protected route names the roles it admits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.handlers.base import BaseRouteHandler

from api.errors import Forbidden, Unauthorized
from api.security.tokens import AccessTokenIssuer, InvalidToken, Principal, Role

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]


def _bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if connection.scope["type"] == ScopeType.WEBSOCKET:
        return connection.query_params.get("token") or None
    return None


def authenticate(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The caller's principal, verified once per request and kept on the connection state."""
    cached = connection.scope.get("state", {}).get("principal")
    if isinstance(cached, Principal):
        return cached
    token = _bearer_token(connection)
    if token is None:
        raise Unauthorized("Sign in and send the access token as 'Authorization: Bearer <token>'.")
    issuer: AccessTokenIssuer = connection.app.state.access_tokens
    try:
        principal = issuer.verify(token)
    except InvalidToken as exc:
        raise Unauthorized(str(exc).capitalize() + ".") from None
    connection.scope.setdefault("state", {})["principal"] = principal
    return principal


class RoleGuard:
    """A guard admitting callers whose token carries one of `roles`; the API document and the authorisation
    tests read `roles` to know who may call a route."""

    __slots__ = ("roles",)

    def __init__(self, roles: frozenset[Role]) -> None:
        self.roles = roles

    def __call__(self, connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = authenticate(connection)
        if principal.role not in self.roles:
            raise Forbidden(f"This needs the {' or '.join(sorted(self.roles))} role.")


def requires_role(*roles: Role) -> RoleGuard:
    """A guard admitting callers whose token carries one of `roles`."""
    return RoleGuard(frozenset(roles))


signed_in = requires_role("driver", "agent", "admin")
staff_only = requires_role("agent", "admin")
admin_only = requires_role("admin")
