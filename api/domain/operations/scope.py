"""Which sites a caller may operate: admins act on everything, an operator on the locations of their regions and
business units only. Everything an operations route lists or aggregates is filtered by a `SiteScope`; an object of
another operator's site answers 404, as if it were not there.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import ChargingStation, Location, OperatorScope
from api.errors import NotFound
from api.openapi_contract import admitted_roles
from api.security.guards import RoleGuard, authenticate
from api.security.tokens import ROLES, Principal, Role

_STATE_KEY = "site_scope"


class SiteScope(msgspec.Struct, frozen=True):
    """The locations a caller may operate (all of them when `everything`)."""

    everything: bool
    location_ids: frozenset[uuid.UUID] = frozenset()

    def allows(self, location_id: uuid.UUID | None) -> bool:
        """A location outside every grouping is the admins' alone."""
        return self.everything or (location_id is not None and location_id in self.location_ids)

    def where(self, column: Any) -> ColumnElement[bool]:
        """An SQL filter on a location-id column."""
        if self.everything:
            return true()
        if not self.location_ids:
            return false()
        result: ColumnElement[bool] = column.in_(sorted(self.location_ids))
        return result


EVERYTHING = SiteScope(everything=True)
# how a handler asks for the caller's scope: `site_scope: CallerScope`
CallerScope = NamedDependency[SiteScope]


async def site_scope_for(db: AsyncSession, principal: Principal) -> SiteScope:
    """Admins: everything; operators: the locations in any of their regions or business units; anyone else: none."""
    if principal.role == "admin":
        return EVERYTHING
    if principal.role != "operator":
        return SiteScope(everything=False)
    grants = select(OperatorScope.region_id, OperatorScope.business_unit_id).where(
        OperatorScope.user_id == principal.user_id
    )
    rows = (await db.execute(grants)).all()
    regions = {row.region_id for row in rows if row.region_id is not None}
    units = {row.business_unit_id for row in rows if row.business_unit_id is not None}
    if not regions and not units:
        return SiteScope(everything=False)
    ids = await db.scalars(
        select(Location.id).where(or_(Location.region_id.in_(regions), Location.business_unit_id.in_(units)))
    )
    return SiteScope(everything=False, location_ids=frozenset(ids))


async def charger_location(db: AsyncSession, charger_id: str) -> uuid.UUID | None:
    """The location of the charger with this OCPP identity (None when there is no such charger)."""
    location_id: uuid.UUID | None = await db.scalar(
        select(ChargingStation.location_id).where(ChargingStation.ocpp_id == charger_id)
    )
    return location_id


async def _scope_of(connection: ASGIConnection[Any, Any, Any, Any]) -> SiteScope:
    state = connection.scope.setdefault("state", {})
    cached = state.get(_STATE_KEY)
    if isinstance(cached, SiteScope):
        return cached
    principal = await authenticate(connection)
    if principal.role == "admin":
        scope = EVERYTHING
    else:
        async with connection.app.state.session_factory() as db:
            scope = await site_scope_for(db, principal)
    state[_STATE_KEY] = scope
    return scope


async def provide_site_scope(request: ASGIConnection[Any, Any, Any, Any]) -> SiteScope:
    """The caller's scope, resolved once per request (the route's guard has checked the role)."""
    return await _scope_of(request)


class ChargerScopeGuard(RoleGuard):
    """Admits callers of `roles`; an operator only to a charger of their own sites (named by the `charger_id` path
    parameter), else 404. Agents, where admitted, read chargers network-wide (the support desk serves every site)."""

    __slots__ = ()

    async def __call__(self, connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        await super().__call__(connection, handler)
        principal = await authenticate(connection)
        charger_id = connection.path_params.get("charger_id")
        if principal.role != "operator" or charger_id is None:
            return
        if isinstance(handler, HTTPRouteHandler) and principal.role not in (admitted_roles(handler) or ROLES):
            return  # a route of this controller kept for admins: its own guard answers 403
        scope = await _scope_of(connection)
        async with connection.app.state.session_factory() as db:
            location_id = await charger_location(db, str(charger_id))
        if not scope.allows(location_id):
            raise NotFound(f"No charger '{charger_id}'.")


def charger_scoped(*roles: Role) -> ChargerScopeGuard:
    """A guard for routes about one charger (or the list of them, which filters by `site_scope` itself)."""
    return ChargerScopeGuard(frozenset(roles))


operations_chargers = charger_scoped("operator", "admin")
staff_and_operations_chargers = charger_scoped("agent", "operator", "admin")
