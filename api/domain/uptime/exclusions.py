"""Exclusions: periods an operator marks as not counting against uptime, with a NEVI reason category.

Audited by construction: the row keeps who marked it and when; withdrawing stamps who, when and why and keeps the
row, so a report can always be explained later. An exclusion outside the operator's sites is not there for them
(404), like everything else of another operator's sites.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from api.db.models import ChargingStation, Evse, Location, UptimeExclusion, User
from api.db.types import utc_now
from api.domain.operations.scope import SiteScope
from api.domain.uptime.rollup import reroll
from api.domain.uptime.schemas import ExclusionView, NewExclusion
from api.errors import Conflict, FieldError, InvalidInput, NotFound

MAX_SPAN: Final = timedelta(days=366)


def _not_found(what: str) -> NotFound:
    return NotFound(f"There is no {what} with that id among your sites.")


async def _target(session: AsyncSession, scope: SiteScope, data: NewExclusion) -> dict[str, Any]:
    """The one row the exclusion is for, checked to exist within the operator's sites."""
    target = data.target
    given = [
        name
        for name, value in (
            ("portId", target.port_id),
            ("chargerId", target.charger_id),
            ("locationId", target.location_id),
        )
        if value is not None
    ]
    if len(given) != 1:
        raise InvalidInput(
            [FieldError("target", "give exactly one of portId, chargerId or locationId")],
            "An exclusion is for one port, one charger or one location.",
        )
    if target.port_id is not None:
        location = (
            await session.execute(
                select(Evse.location_id).where(Evse.id == target.port_id, Evse.charging_station_id.is_not(None))
            )
        ).scalar_one_or_none()
        if location is None or not scope.allows(location):
            raise _not_found("port")
        return {"evse_id": target.port_id}
    if target.charger_id is not None:
        row = (
            await session.execute(
                select(ChargingStation.id, ChargingStation.location_id).where(
                    ChargingStation.ocpp_id == target.charger_id
                )
            )
        ).one_or_none()
        if row is None or not scope.allows(row[1]):
            raise _not_found("charger")
        return {"charging_station_id": row[0]}
    if target.location_id is None or await session.get(Location, target.location_id) is None:
        raise _not_found("location")
    if not scope.allows(target.location_id):
        raise _not_found("location")
    return {"location_id": target.location_id}


def _check_period(start: datetime, end: datetime) -> None:
    errors = []
    if end <= start:
        errors.append(FieldError("to", "must be after 'from'"))
    elif end - start > MAX_SPAN:
        errors.append(FieldError("to", "an exclusion lasts at most 366 days; mark longer ones in parts"))
    if errors:
        raise InvalidInput(errors)


def covered_ports(
    evse_id: uuid.UUID | None, charging_station_id: uuid.UUID | None, location_id: uuid.UUID | None
) -> list[ColumnElement[bool]]:
    """The ports an exclusion of one port, one charger or one location covers."""
    if evse_id is not None:
        return [Evse.id == evse_id]
    if charging_station_id is not None:
        return [Evse.charging_station_id == charging_station_id]
    return [Evse.location_id == location_id]


def _covered(exclusion: UptimeExclusion) -> list[ColumnElement[bool]]:
    return covered_ports(exclusion.evse_id, exclusion.charging_station_id, exclusion.location_id)


async def create(session: AsyncSession, scope: SiteScope, data: NewExclusion, user_id: uuid.UUID) -> ExclusionView:
    _check_period(data.start, data.end)
    exclusion = UptimeExclusion(
        id=uuid.uuid4(),
        **await _target(session, scope, data),
        starts_at=data.start,
        ends_at=data.end,
        category=data.category,
        reason=data.reason.strip(),
        created_by=user_id,
        created_at=utc_now(),
    )
    session.add(exclusion)
    await reroll(session, _covered(exclusion), exclusion.starts_at, exclusion.ends_at)
    await session.commit()
    return await view(session, scope, exclusion.id)


async def withdraw(
    session: AsyncSession, scope: SiteScope, exclusion_id: uuid.UUID, reason: str, user_id: uuid.UUID
) -> ExclusionView:
    await view(session, scope, exclusion_id)  # 404 outside the operator's sites
    exclusion = await session.get(UptimeExclusion, exclusion_id, with_for_update=True)
    if exclusion is None:
        raise _not_found("exclusion")
    if exclusion.withdrawn_at is not None:
        raise Conflict(f"This exclusion was already withdrawn at {exclusion.withdrawn_at.isoformat()}.")
    exclusion.withdrawn_at = utc_now()
    exclusion.withdrawn_by = user_id
    exclusion.withdrawal_reason = reason.strip()
    await reroll(session, _covered(exclusion), exclusion.starts_at, exclusion.ends_at)
    await session.commit()
    return await view(session, scope, exclusion_id)


def _listing(scope: SiteScope) -> Any:
    creator, withdrawer = aliased(User), aliased(User)
    port = aliased(Evse)
    station = aliased(ChargingStation)
    port_station = aliased(ChargingStation)
    location = aliased(Location)
    return (
        select(
            UptimeExclusion,
            port.uid,
            port_station.ocpp_id,
            station.ocpp_id,
            location.name,
            creator.email,
            withdrawer.email,
        )
        .outerjoin(port, port.id == UptimeExclusion.evse_id)
        .outerjoin(port_station, port_station.id == port.charging_station_id)
        .outerjoin(station, station.id == UptimeExclusion.charging_station_id)
        .outerjoin(location, location.id == UptimeExclusion.location_id)
        .outerjoin(creator, creator.id == UptimeExclusion.created_by)
        .outerjoin(withdrawer, withdrawer.id == UptimeExclusion.withdrawn_by)
        .where(
            or_(
                scope.where(UptimeExclusion.location_id),
                scope.where(station.location_id),
                scope.where(port.location_id),
            )
        )
    )


def _view(row: Any) -> ExclusionView:
    exclusion, port_uid, port_charger, charger, location_name, created_by, withdrawn_by = row[:7]
    if exclusion.evse_id is not None:
        target, name = "port", f"{port_charger} {port_uid}"
    elif exclusion.charging_station_id is not None:
        target, name = "charger", str(charger)
    else:
        target, name = "location", location_name or str(exclusion.location_id)
    return ExclusionView(
        id=exclusion.id,
        target=target,
        port_id=exclusion.evse_id,
        charger_id=charger if target == "charger" else port_charger if target == "port" else None,
        location_id=exclusion.location_id,
        name=name,
        start=exclusion.starts_at,
        end=exclusion.ends_at,
        category=exclusion.category,
        reason=exclusion.reason,
        created_by=created_by,
        created_at=exclusion.created_at,
        withdrawn_at=exclusion.withdrawn_at,
        withdrawn_by=withdrawn_by,
        withdrawal_reason=exclusion.withdrawal_reason,
    )


async def view(session: AsyncSession, scope: SiteScope, exclusion_id: uuid.UUID) -> ExclusionView:
    row = (await session.execute(_listing(scope).where(UptimeExclusion.id == exclusion_id))).one_or_none()
    if row is None:
        raise _not_found("exclusion")
    return _view(row)


async def listing(
    session: AsyncSession,
    scope: SiteScope,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    include_withdrawn: bool = True,
    limit: int = 200,
) -> list[ExclusionView]:
    """Newest first; only those overlapping [start, end) when given."""
    query = _listing(scope)
    if start is not None:
        query = query.where(UptimeExclusion.ends_at > start)
    if end is not None:
        query = query.where(UptimeExclusion.starts_at < end)
    if not include_withdrawn:
        query = query.where(UptimeExclusion.withdrawn_at.is_(None))
    rows = await session.execute(query.order_by(UptimeExclusion.starts_at.desc()).limit(limit))
    return [_view(row) for row in rows]
