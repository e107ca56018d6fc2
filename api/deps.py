"""Dependencies shared by every feature: a database session per request and the caller's principal."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from api.security.guards import authenticated
from api.security.rate_limit import client_address
from api.security.tokens import Principal


async def provide_db_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    """One session per request; whatever the handler did not commit is rolled back."""
    async with state.session_factory() as session:
        yield session


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    """The principal the route's guard checked (token, sign-in still open, account not erased)."""
    return authenticated(request)


def provide_client_address(request: Request[Any, Any, Any]) -> str:
    return client_address(request.scope)


DbSession = NamedDependency[AsyncSession]
CurrentPrincipal = NamedDependency[Principal]
ClientAddress = NamedDependency[str]
