"""`charger_offline`: a charger that was accepted and has been heard from, disconnected for longer than the rule's
`minutes`. Time is the trigger, so a periodic scan raises it; the charger's reconnection clears it at once (see
`charger_messages.py`), and the scan clears what it raised if the charger is back (or gone) by its next run.

`charging_stations.connected` and `last_seen` are written by whichever process held the socket (and by the relay for
a crashed process's chargers), so every process sees the same; two processes scanning report the same change twice
at most, which the alert engine de-duplicates.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import ChargingStation
from api.domain.operations.conditions import ConditionReport, RuleBook
from api.domain.operations.detectors.clock import Clock

RULE = "charger_offline"


class OfflineChargers:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession], rules: RuleBook, clock: Clock) -> None:
        self._session_factory = session_factory
        self._rules = rules
        self._clock = clock
        self._raised: set[str] = set()  # chargers this process reported offline and not yet back

    async def scan(self) -> list[ConditionReport]:
        rule = self._rules.rule(RULE)
        now = self._clock()
        minutes = rule.params.get("minutes", 10.0)
        offline: dict[str, str] = {}
        if rule.enabled:
            async with self._session_factory() as session:
                rows = await session.execute(
                    select(ChargingStation.ocpp_id, ChargingStation.last_seen).where(
                        ChargingStation.connected.is_(False),
                        ChargingStation.last_seen.is_not(None),
                        ChargingStation.last_seen <= now - timedelta(minutes=minutes),
                        ChargingStation.registration_status == "accepted",
                    )
                )
                offline = {ocpp_id: last_seen.isoformat() for ocpp_id, last_seen in rows if last_seen is not None}
        reports = [
            ConditionReport(
                RULE,
                ocpp_id,
                None,
                True,
                now,
                {"lastSeen": last_seen, "offlineMinutesAtLeast": f"{minutes:g}"},
            )
            for ocpp_id, last_seen in sorted(offline.items())
            if ocpp_id not in self._raised
        ]
        reports += [
            ConditionReport(RULE, ocpp_id, None, False, now, {}) for ocpp_id in sorted(self._raised - offline.keys())
        ]
        self._raised = set(offline)
        return reports
