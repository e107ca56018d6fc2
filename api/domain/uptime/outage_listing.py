"""The outage log as operators read it: newest first, with causes, error codes and what excludes each one."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import ChargingStation, Evse, Location, PortOutage, UptimeExclusion
from api.db.types import utc_now
from api.domain.operations.scope import SiteScope
from api.domain.uptime.schemas import OutagePage, OutageView


class OutageFilter:
    """What the log is narrowed to; every field optional."""

    def __init__(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        location_id: uuid.UUID | None = None,
        charger_id: str | None = None,
        cause: str | None = None,
        open_only: bool = False,
    ) -> None:
        self.start, self.end, self.location_id = start, end, location_id
        self.charger_id, self.cause, self.open_only = charger_id, cause, open_only


def _conditions(scope: SiteScope, given: OutageFilter) -> list[Any]:
    conditions: list[Any] = [scope.where(PortOutage.location_id)]
    if given.start is not None:
        conditions.append(or_(PortOutage.ended_at.is_(None), PortOutage.ended_at > given.start))
    if given.end is not None:
        conditions.append(PortOutage.started_at < given.end)
    if given.location_id is not None:
        conditions.append(PortOutage.location_id == given.location_id)
    if given.charger_id is not None:
        conditions.append(ChargingStation.ocpp_id == given.charger_id)
    if given.cause is not None:
        conditions.append(PortOutage.cause == given.cause)
    if given.open_only:
        conditions.append(PortOutage.ended_at.is_(None))
    return conditions


async def _excluded_by(session: AsyncSession, outages: Sequence[Any]) -> dict[uuid.UUID, list[str]]:
    """The categories of the live exclusions that cover part of each outage."""
    if not outages:
        return {}
    found: dict[uuid.UUID, set[str]] = {}
    now = utc_now()
    ids = [row.id for row in outages]
    rows = await session.execute(
        select(PortOutage.id, UptimeExclusion.category)
        .join(
            UptimeExclusion,
            and_(
                UptimeExclusion.withdrawn_at.is_(None),
                or_(
                    UptimeExclusion.evse_id == PortOutage.evse_id,
                    UptimeExclusion.charging_station_id == PortOutage.charging_station_id,
                    UptimeExclusion.location_id == PortOutage.location_id,
                ),
                UptimeExclusion.starts_at < func.coalesce(PortOutage.ended_at, now),
                UptimeExclusion.ends_at > PortOutage.started_at,
            ),
        )
        .where(PortOutage.id.in_(ids))
    )
    for outage_id, category in rows:
        found.setdefault(outage_id, set()).add(category)
    return {key: sorted(value) for key, value in found.items()}


async def outage_page(
    session: AsyncSession, scope: SiteScope, given: OutageFilter, *, limit: int = 100, offset: int = 0
) -> OutagePage:
    base = (
        select(PortOutage.id)
        .join(ChargingStation, ChargingStation.id == PortOutage.charging_station_id)
        .where(*_conditions(scope, given))
    )
    total = (await session.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    rows = (
        await session.execute(
            select(
                PortOutage.id,
                PortOutage.evse_id,
                Evse.uid,
                Evse.ocpp_evse_id,
                ChargingStation.ocpp_id,
                PortOutage.location_id,
                Location.name,
                PortOutage.cause,
                PortOutage.error_code,
                PortOutage.ocpp_status,
                PortOutage.started_at,
                PortOutage.ended_at,
            )
            .join(Evse, Evse.id == PortOutage.evse_id)
            .join(ChargingStation, ChargingStation.id == PortOutage.charging_station_id)
            .join(Location, Location.id == PortOutage.location_id)
            .where(*_conditions(scope, given))
            .order_by(PortOutage.started_at.desc(), PortOutage.id)
            .limit(limit)
            .offset(offset)
        )
    ).all()
    excluded = await _excluded_by(session, rows)
    now = utc_now()
    items = [
        OutageView(
            id=row.id,
            port_id=row.evse_id,
            evse_uid=row.uid,
            connector=row.ocpp_evse_id,
            charger_id=row.ocpp_id,
            location_id=row.location_id,
            location_name=row.name,
            cause=row.cause,
            error_code=row.error_code,
            ocpp_status=row.ocpp_status,
            started_at=row.started_at,
            ended_at=row.ended_at,
            minutes=round(((row.ended_at or now) - row.started_at).total_seconds() / 60, 2),
            excluded_by=(["maintenance"] if row.cause == "maintenance" else []) + excluded.get(row.id, []),
        )
        for row in rows
    ]
    return OutagePage(items=items, total=int(total))
