"""The organisation admins keep: regions and business units, each location's place in them, and which of them an
operator looks after. Operators read it (their console groups by it); only admins change it."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import Controller, delete, get, post, put
from litestar.params import FromPath, JSONBody
from sqlalchemy import delete as sql_delete
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from api.db.models import BusinessUnit, Location, OperatorScope, Region, User
from api.deps import DbSession
from api.domain.operations.scope import CallerScope, SiteScope
from api.errors import Conflict, FieldError, InvalidInput, NotFound
from api.openapi_contract import problems
from api.schema import SPACE, AppStruct
from api.security.guards import admin_only, operations

GroupName = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=rf"^[^{SPACE}\x00-\x1f\x7f].*$")]
Grouping = type[Region] | type[BusinessUnit]
GroupColumn = InstrumentedAttribute[uuid.UUID | None]  # Location.region_id or Location.business_unit_id


class Group(AppStruct):
    id: uuid.UUID
    name: str
    locations: int = 0


class NewGroup(AppStruct):
    name: GroupName


class LocationOrganisation(AppStruct):
    """Where a location belongs; null takes it out of a grouping."""

    region_id: uuid.UUID | None = None
    business_unit_id: uuid.UUID | None = None


class LocationPlace(AppStruct):
    location_id: uuid.UUID
    name: str | None
    region_id: uuid.UUID | None
    business_unit_id: uuid.UUID | None


class OperatorGrant(AppStruct):
    """The regions and business units an operator looks after: every location of any of them."""

    region_ids: list[uuid.UUID] = []
    business_unit_ids: list[uuid.UUID] = []


class OperatorScopeView(AppStruct):
    user_id: uuid.UUID
    region_ids: list[uuid.UUID]
    business_unit_ids: list[uuid.UUID]
    locations: int  # how many locations the grants cover now


async def _groups(db: AsyncSession, model: Grouping, column: GroupColumn, scope: SiteScope) -> list[Group]:
    rows = (await db.execute(select(model.id, model.name).order_by(model.name))).all()
    counted = select(column, Location.id).where(scope.where(Location.id))
    counts: dict[uuid.UUID, int] = {}
    for group_id, _ in (await db.execute(counted)).all():
        if group_id is not None:
            counts[group_id] = counts.get(group_id, 0) + 1
    return [Group(id=row.id, name=row.name, locations=counts.get(row.id, 0)) for row in rows]


async def _create(db: AsyncSession, model: Grouping, name: str) -> Group:
    name = name.strip()
    group = model(id=uuid.uuid4(), name=name)
    db.add(group)
    try:
        await db.commit()
    except IntegrityError:
        await db.rollback()
        raise Conflict(f"There is already one named '{name}'.") from None
    return Group(id=group.id, name=name)


async def _remove(db: AsyncSession, model: Grouping, column: GroupColumn, group_id: uuid.UUID) -> None:
    if await db.get(model, group_id) is None:
        raise NotFound("No such grouping.")
    # locations keep no foreign key to their grouping (see migration 0026): clear them in the same transaction
    await db.execute(update(Location).where(column == group_id).values({column.key: None}))
    await db.execute(sql_delete(model).where(model.id == group_id))
    await db.commit()


async def _must_exist(db: AsyncSession, model: Grouping, ids: set[uuid.UUID], field: str) -> None:
    if not ids:
        return
    found = set(await db.scalars(select(model.id).where(model.id.in_(ids))))
    missing = sorted(str(i) for i in ids - found)
    if missing:
        raise InvalidInput([FieldError(field=field, message=f"no such id: {', '.join(missing)}")])


class OrganisationController(Controller):
    path = "/v1/admin"
    tags = ["Operations"]
    guards = [operations]
    security = [{"BearerToken": []}]

    @get("/regions", summary="Regions, with how many of the caller's locations each holds")
    async def list_regions(self, db_session: DbSession, site_scope: CallerScope) -> list[Group]:
        return await _groups(db_session, Region, Location.region_id, site_scope)

    @post("/regions", guards=[admin_only], summary="Add a region", responses=problems(409))
    async def add_region(self, db_session: DbSession, data: JSONBody[NewGroup]) -> Group:
        return await _create(db_session, Region, data.name)

    @delete("/regions/{region_id:uuid}", guards=[admin_only], summary="Remove a region", responses=problems(404))
    async def remove_region(self, db_session: DbSession, region_id: FromPath[uuid.UUID]) -> None:
        """Its locations stay, outside any region; operators who looked after it lose that grant."""
        await _remove(db_session, Region, Location.region_id, region_id)

    @get("/business-units", summary="Business units, with how many of the caller's locations each holds")
    async def list_business_units(self, db_session: DbSession, site_scope: CallerScope) -> list[Group]:
        return await _groups(db_session, BusinessUnit, Location.business_unit_id, site_scope)

    @post("/business-units", guards=[admin_only], summary="Add a business unit", responses=problems(409))
    async def add_business_unit(self, db_session: DbSession, data: JSONBody[NewGroup]) -> Group:
        return await _create(db_session, BusinessUnit, data.name)

    @delete(
        "/business-units/{unit_id:uuid}",
        guards=[admin_only],
        summary="Remove a business unit",
        responses=problems(404),
    )
    async def remove_business_unit(self, db_session: DbSession, unit_id: FromPath[uuid.UUID]) -> None:
        await _remove(db_session, BusinessUnit, Location.business_unit_id, unit_id)

    @put(
        "/locations/{location_id:uuid}/organisation",
        guards=[admin_only],
        summary="Put a location in a region and a business unit",
        responses=problems(404),
    )
    async def place_location(
        self, db_session: DbSession, location_id: FromPath[uuid.UUID], data: JSONBody[LocationOrganisation]
    ) -> LocationPlace:
        location = await db_session.get(Location, location_id)
        if location is None:
            raise NotFound("No such location.")
        if data.region_id is not None:
            await _must_exist(db_session, Region, {data.region_id}, "regionId")
        if data.business_unit_id is not None:
            await _must_exist(db_session, BusinessUnit, {data.business_unit_id}, "businessUnitId")
        location.region_id = data.region_id
        location.business_unit_id = data.business_unit_id
        await db_session.commit()
        return LocationPlace(
            location_id=location.id,
            name=location.name,
            region_id=location.region_id,
            business_unit_id=location.business_unit_id,
        )

    @put(
        "/operators/{user_id:uuid}/scope",
        guards=[admin_only],
        summary="Set the regions and business units an operator looks after",
        responses=problems(404, 409),
    )
    async def set_operator_scope(
        self, db_session: DbSession, user_id: FromPath[uuid.UUID], data: JSONBody[OperatorGrant]
    ) -> OperatorScopeView:
        """Replaces the operator's grants; an operator with none sees no site."""
        user = await db_session.get(User, user_id)
        if user is None or user.erased_at is not None:
            raise NotFound("No such account.")
        if user.role != "operator":
            raise Conflict(f"This account's role is {user.role}; only operators have a scope.")
        regions, units = set(data.region_ids), set(data.business_unit_ids)
        await _must_exist(db_session, Region, regions, "regionIds")
        await _must_exist(db_session, BusinessUnit, units, "businessUnitIds")
        await db_session.execute(sql_delete(OperatorScope).where(OperatorScope.user_id == user_id))
        db_session.add_all(
            [OperatorScope(user_id=user_id, region_id=r) for r in sorted(regions)]
            + [OperatorScope(user_id=user_id, business_unit_id=u) for u in sorted(units)]
        )
        await db_session.commit()
        return await _scope_view(db_session, user_id)

    @get(
        "/operators/{user_id:uuid}/scope",
        guards=[admin_only],
        summary="The regions and business units an operator looks after",
        responses=problems(404),
    )
    async def get_operator_scope(self, db_session: DbSession, user_id: FromPath[uuid.UUID]) -> OperatorScopeView:
        user = await db_session.get(User, user_id)
        if user is None or user.role != "operator":
            raise NotFound("No such operator.")
        return await _scope_view(db_session, user_id)


async def _scope_view(db: AsyncSession, user_id: uuid.UUID) -> OperatorScopeView:
    rows = (
        await db.execute(
            select(OperatorScope.region_id, OperatorScope.business_unit_id).where(OperatorScope.user_id == user_id)
        )
    ).all()
    regions = sorted({r.region_id for r in rows if r.region_id is not None})
    units = sorted({r.business_unit_id for r in rows if r.business_unit_id is not None})
    count = 0
    if regions or units:
        count = int(
            await db.scalar(
                select(func.count(Location.id)).where(
                    or_(Location.region_id.in_(regions), Location.business_unit_id.in_(units))
                )
            )
            or 0
        )
    return OperatorScopeView(user_id=user_id, region_ids=regions, business_unit_ids=units, locations=count)
