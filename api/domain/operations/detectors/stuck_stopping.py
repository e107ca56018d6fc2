"""`session_stuck_stopping`: a session asked to stop more than the rule's `minutes` ago that is still `stopping`.

A periodic scan raises it, and clears it when the session has left `stopping` (completed, or charging again after a
refused stop). Sessions that left `stopping` since the previous scan are read from the table too, so a session that
recovered while another process raised its alert, or while this process was down, still clears.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import ChargingSession, ChargingStation
from api.domain.operations.conditions import ConditionReport, RuleBook
from api.domain.operations.detectors.clock import Clock

RULE = "session_stuck_stopping"
LOOK_BACK = timedelta(hours=24)  # at start: how far back a recovered session is still looked for
_LEFT_STOPPING = ("completed", "charging", "suspended", "failed")


class StuckStops:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession], rules: RuleBook, clock: Clock) -> None:
        self._session_factory = session_factory
        self._rules = rules
        self._clock = clock
        self._raised: dict[uuid.UUID, tuple[str, int]] = {}  # session -> (charger, connector) reported stuck
        self._since: datetime | None = None

    async def scan(self) -> list[ConditionReport]:
        rule = self._rules.rule(RULE)
        now = self._clock()
        limit = timedelta(minutes=rule.params.get("minutes", 10.0))
        since = self._since or now - LOOK_BACK
        columns = (
            ChargingSession.id,
            ChargingStation.ocpp_id,
            ChargingSession.connector_id,
            ChargingSession.stop_requested_at,
        )
        async with self._session_factory() as session:
            stuck = (
                await session.execute(
                    select(*columns)
                    .join(ChargingStation, ChargingStation.id == ChargingSession.charging_station_id)
                    .where(ChargingSession.status == "stopping", ChargingSession.stop_requested_at <= now - limit)
                )
            ).all()
            left = (
                await session.execute(
                    select(*columns, ChargingSession.status, ChargingSession.updated_at)
                    .join(ChargingStation, ChargingStation.id == ChargingSession.charging_station_id)
                    .where(
                        ChargingSession.status.in_(_LEFT_STOPPING),
                        ChargingSession.updated_at >= since,
                        ChargingSession.stop_requested_at.is_not(None),
                    )
                )
            ).all()
        self._since = now
        reports: list[ConditionReport] = []
        stuck_now: dict[uuid.UUID, tuple[str, int]] = {}
        for session_id, ocpp_id, connector_id, requested in stuck if rule.enabled else ():
            stuck_now[session_id] = (ocpp_id, connector_id)
            if session_id not in self._raised:
                detail = {"sessionId": str(session_id), "stopRequestedAt": requested.isoformat() if requested else ""}
                reports.append(ConditionReport(RULE, ocpp_id, connector_id, True, now, detail))
        cleared: set[uuid.UUID] = set()
        for session_id, ocpp_id, connector_id, requested, status, updated in left:
            if session_id in stuck_now or requested is None or updated - requested < limit:
                continue  # it left stopping in time: nothing was ever raised for it
            cleared.add(session_id)
            detail = {"sessionId": str(session_id), "status": status}
            reports.append(ConditionReport(RULE, ocpp_id, connector_id, False, now, detail))
        for session_id, (ocpp_id, connector_id) in self._raised.items():
            if session_id not in stuck_now and session_id not in cleared:
                reports.append(ConditionReport(RULE, ocpp_id, connector_id, False, now, {"sessionId": str(session_id)}))
        self._raised = stuck_now
        return reports
