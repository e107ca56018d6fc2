"""Holding a charger's EVSEs out of service while a work order is worked on, and giving them back.

Held EVSEs read INOPERATIVE (OCPI's "not available, not broken") with `status_source = "maintenance"` and the
reason drivers see; the live status writer leaves them alone until they are released, so neither the charger's own
reports nor a reconnect can put them back on the map early. The uptime report counts the held time as maintenance.
Released EVSEs show their status from before, marked live again, until the charger's next report says otherwise.

Catalogue writers take the revision counter before touching `evses` rows, as the live status writer does, so the
two never wait on each other in a circle.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Final

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import ChargingStation, Evse
from api.domain.stations.store import bump_revision, touch_location

MAINTENANCE: Final = "maintenance"
INOPERATIVE: Final = "INOPERATIVE"

# told, inside the transaction, which EVSEs changed OCPI status (id, new status) and when: the OCPI status push
StatusChanged = Callable[[AsyncSession, list[tuple[uuid.UUID, str]], datetime], Awaitable[None]]


async def _nothing(_session: AsyncSession, _changes: list[tuple[uuid.UUID, str]], _now: datetime) -> None:
    return None


def _evses_of(location_id: uuid.UUID, charger_id: str | None) -> ColumnElement[bool]:
    """The EVSEs a work order covers: its charger's, or every EVSE of our chargers at its location."""
    if charger_id is None:
        return (Evse.location_id == location_id) & Evse.charging_station_id.is_not(None)
    station = select(ChargingStation.id).where(ChargingStation.ocpp_id == charger_id).scalar_subquery()
    return Evse.charging_station_id == station


class ServiceStatus:
    """Takes EVSEs out of service and back, telling OCPI partners through `on_status_changed`."""

    def __init__(self, on_status_changed: StatusChanged | None = None) -> None:
        self.on_status_changed: StatusChanged = on_status_changed or _nothing

    async def hold(
        self, session: AsyncSession, location_id: uuid.UUID, charger_id: str | None, reason: str, now: datetime
    ) -> list[dict[str, Any]]:
        """Hold the EVSEs not already held (by another work order); returns what each showed before."""
        rows = (
            await session.execute(
                select(Evse.id, Evse.status, Evse.status_source).where(
                    _evses_of(location_id, charger_id), Evse.status_source != MAINTENANCE, Evse.status != "REMOVED"
                )
            )
        ).all()
        if not rows:
            return []
        revision = await bump_revision(session)
        await session.execute(
            update(Evse)
            .where(Evse.id.in_([row.id for row in rows]), Evse.status_source != MAINTENANCE)
            .values(
                status=INOPERATIVE,
                status_source=MAINTENANCE,
                status_reason=reason,
                status_updated_at=now,
                last_updated=now,
            )
        )
        await touch_location(session, location_id, revision, now)
        await self.on_status_changed(session, [(row.id, INOPERATIVE) for row in rows if row.status != INOPERATIVE], now)
        return [{"evseId": str(row.id), "status": row.status, "source": row.status_source} for row in rows]

    async def release(
        self, session: AsyncSession, location_id: uuid.UUID, held: list[dict[str, Any]], now: datetime
    ) -> None:
        """Give back the EVSEs a work order held, each with the status it had before."""
        if not held:
            return
        revision = await bump_revision(session)
        changes: list[tuple[uuid.UUID, str]] = []
        for item in held:
            evse_id = uuid.UUID(item["evseId"])
            result = await session.execute(
                update(Evse)
                .where(Evse.id == evse_id, Evse.status_source == MAINTENANCE)
                .values(
                    status=item["status"],
                    status_source=item.get("source") or "live",
                    status_reason=None,
                    status_updated_at=now,
                    last_updated=now,
                )
            )
            if getattr(result, "rowcount", 0) and item["status"] != INOPERATIVE:
                changes.append((evse_id, item["status"]))
        await touch_location(session, location_id, revision, now)
        await self.on_status_changed(session, changes, now)

    async def reason(self, session: AsyncSession, held: list[dict[str, Any]], reason: str, now: datetime) -> None:
        """A new reason for EVSEs held now (what drivers read)."""
        ids = [uuid.UUID(item["evseId"]) for item in held]
        if not ids:
            return
        location_id = (await session.execute(select(Evse.location_id).where(Evse.id == ids[0]))).scalar_one_or_none()
        revision = await bump_revision(session)
        await session.execute(
            update(Evse)
            .where(Evse.id.in_(ids), Evse.status_source == MAINTENANCE)
            .values(status_reason=reason, last_updated=now)
        )
        if location_id is not None:
            await touch_location(session, location_id, revision, now)
