"""`failed_starts`: remote starts a charger keeps failing (refused, not answered, or no transaction in time).

An attempt is a session we asked the charger to start (`remote_start_id` set); it is settled when it leaves
`starting`: `failed` is a failure, anything else a success. A start refused before the charger was asked (a declined
card) is not the charger's failure and is not an attempt. The condition holds after `in_a_row` failures in a row, or
when the failure rate of the last `window_hours` (with at least `min_attempts` attempts) is above `rate_factor` times
the charger's own rate over the `baseline_days` before that window (with at least `min_attempts` there too). A
successful start clears it.

The sessions service tells this detector of every settled attempt (`StartOutcomes`); the check reads the charger's
attempts from the sessions table on the condition worker, so the driver's request never waits for it.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import ChargingSession, ChargingStation
from api.domain.operations.conditions import ConditionReport, RuleBook
from api.domain.operations.detectors.clock import Clock
from api.domain.operations.detectors.queue import ConditionQueue

RULE = "failed_starts"
BASELINE_DAYS = 30.0  # the charger's own history the window is compared with, unless the rule says otherwise
SHOWN_IN_A_ROW = 20  # failures in a row are counted up to this many for the operator


class FailedStarts:
    """Implements `api.domain.sessions.core.StartOutcomes`."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        queue: ConditionQueue,
        rules: RuleBook,
        clock: Clock,
    ) -> None:
        self._session_factory = session_factory
        self._queue = queue
        self._rules = rules
        self._clock = clock

    def start_settled(self, station_id: uuid.UUID, *, succeeded: bool, reason: str | None = None) -> None:
        """Called when a remote start leaves `starting`; returns at once."""

        async def check() -> list[ConditionReport]:
            return await self.check(station_id, succeeded=succeeded, reason=reason)

        self._queue.run(check, key=str(station_id))  # in order with its other outcomes

    async def check(
        self, station_id: uuid.UUID, *, succeeded: bool, reason: str | None = None
    ) -> list[ConditionReport]:
        """What the charger's attempts say now that one more has settled."""
        rule = self._rules.rule(RULE)
        at = self._clock()
        attempts = (
            ChargingSession.charging_station_id == station_id,
            ChargingSession.remote_start_id.is_not(None),
            ChargingSession.status != "starting",
        )
        async with self._session_factory() as session:
            ocpp_id = await session.scalar(select(ChargingStation.ocpp_id).where(ChargingStation.id == station_id))
            if ocpp_id is None:
                return []
            if succeeded:  # every success clears: it may come while earlier outcomes are still being checked
                return [ConditionReport(RULE, ocpp_id, None, False, at, {})]
            if not rule.enabled:
                return []
            in_a_row = max(1, int(rule.params.get("in_a_row", 3)))
            latest = list(
                (
                    await session.execute(
                        select(ChargingSession.status)
                        .where(*attempts)
                        .order_by(ChargingSession.created_at.desc(), ChargingSession.id.desc())
                        .limit(max(in_a_row, SHOWN_IN_A_ROW))
                    )
                ).scalars()
            )
            row_failed = len(latest) >= in_a_row and all(status == "failed" for status in latest[:in_a_row])
            window_start = at - timedelta(hours=rule.params.get("window_hours", 24.0))
            baseline_start = window_start - timedelta(days=rule.params.get("baseline_days", BASELINE_DAYS))
            failed = case((ChargingSession.status == "failed", 1), else_=0)
            recent = ChargingSession.created_at >= window_start
            counts = (
                await session.execute(
                    select(
                        func.count().filter(recent),
                        func.coalesce(func.sum(failed).filter(recent), 0),
                        func.count().filter(~recent),
                        func.coalesce(func.sum(failed).filter(~recent), 0),
                    ).where(*attempts, ChargingSession.created_at >= baseline_start)
                )
            ).one()
        window_attempts, window_failures, baseline_attempts, baseline_failures = (int(n) for n in counts)
        min_attempts = rule.params.get("min_attempts", 5.0)
        window_rate = window_failures / window_attempts if window_attempts else 0.0
        baseline_rate = baseline_failures / baseline_attempts if baseline_attempts else 0.0
        above_baseline = (
            window_attempts >= min_attempts
            and baseline_attempts >= min_attempts
            and window_rate > rule.params.get("rate_factor", 2.0) * baseline_rate
        )
        if not (row_failed or above_baseline):
            return []
        detail = {
            "failuresInARow": str(_in_a_row(latest)),
            "windowFailures": f"{window_failures} of {window_attempts}",
            "windowFailureRate": f"{window_rate:.2f}",
            "baselineFailureRate": f"{baseline_rate:.2f}" if baseline_attempts else "unknown",
        }
        if reason:
            detail["lastFailure"] = reason
        return [ConditionReport(RULE, ocpp_id, None, True, at, detail)]


def _in_a_row(newest_first: list[str]) -> int:
    count = 0
    for status in newest_first:
        if status != "failed":
            break
        count += 1
    return count
