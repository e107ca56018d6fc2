"""Fleet fault patterns: the same fault (error code) on at least ``min_chargers`` chargers of one vendor and model
while they ran the same firmware version, within `WINDOW`. One condition per (vendor, model, firmware, error code),
reported with ``charger_id`` None (it is about the fleet) and the chargers listed in its detail.

Each fault a charger reports is recorded once per (charger, error code, firmware) as a sighting (its count and
last time moved on after that), so the check reads a handful of rows through an index, never the fault log. A
pattern clears when fewer than ``min_chargers`` of its sightings fall within the window (checked by `sweep`).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import ChargingStation, FaultSighting
from api.db.types import utc_now
from api.domain.chargers.problems import ChargerProblem
from api.domain.operations.conditions import ConditionReport, ConditionSink, RuleBook

logger = logging.getLogger(__name__)

FLEET_FAULT_PATTERN = "fleet_fault_pattern"
WINDOW = timedelta(days=30)
Pattern = tuple[str, str, str, str]  # vendor, model, firmware version, error code


def pattern_detail(pattern: Pattern, chargers: list[str]) -> dict[str, str]:
    vendor, model, firmware, code = pattern
    return {
        "pattern": f"{vendor} {model} / firmware {firmware} / {code}",
        "vendor": vendor,
        "model": model,
        "firmware": firmware,
        "errorCode": code,
        "chargerCount": str(len(chargers)),
        "chargers": ", ".join(sorted(chargers)),
    }


class FleetPatterns:
    """Implements the chargers' `ProblemObserver` for faults; `sweep` clears patterns that aged out."""

    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], rules: RuleBook, sink: ConditionSink | None = None
    ) -> None:
        self._session_factory = session_factory
        self.rules = rules
        self.sink = sink
        self._active: dict[Pattern, frozenset[str]] = {}  # reported patterns and their chargers
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopped = False

    def charger_problem(self, problem: ChargerProblem) -> None:
        """Called on the charger's message loop: schedules the work."""
        if self._stopped or problem.kind != "fault" or not problem.error_code:
            return
        try:
            task = asyncio.create_task(
                self._run(problem.station_id, problem.error_code, problem.at), name=f"fleet {problem.charger_id}"
            )
        except RuntimeError:
            logger.exception("cannot schedule the fleet check of a fault")
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, station_id: uuid.UUID, error_code: str, at: datetime) -> None:
        try:
            await self.fault_seen(station_id, error_code, at)
        except Exception:
            logger.exception("fleet pattern check failed", extra={"error_code": error_code})

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def stop(self) -> None:
        self._stopped = True
        await self.drain()

    def _min_chargers(self) -> int:
        return max(1, int(self.rules.rule(FLEET_FAULT_PATTERN).params.get("min_chargers", 3)))

    async def fault_seen(self, station_id: uuid.UUID, error_code: str, at: datetime) -> None:
        """Record one fault of a charger and report its pattern when it reaches (or grows past) the threshold."""
        async with self._session_factory() as session, session.begin():
            station = await session.get(ChargingStation, station_id)
            if station is None:
                return
            pattern: Pattern = (
                (station.vendor or "")[:50],
                (station.model or "")[:50],
                (station.firmware_version or "")[:50],
                error_code[:50],
            )
            await self._record(session, station_id, pattern, at)
            chargers = await self._chargers(session, pattern, utc_now() - WINDOW)
        if len(chargers) >= self._min_chargers() and self._active.get(pattern) != frozenset(chargers):
            self._active[pattern] = frozenset(chargers)
            await self._report(pattern, chargers, active=True, at=at)

    @staticmethod
    async def _record(session: AsyncSession, station_id: uuid.UUID, pattern: Pattern, at: datetime) -> None:
        vendor, model, firmware, code = pattern
        dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        await session.execute(
            insert(FaultSighting)
            .values(
                id=uuid.uuid4(),
                charging_station_id=station_id,
                error_code=code,
                vendor=vendor,
                model=model,
                firmware_version=firmware,
                first_at=at,
                last_at=at,
                count=0,
            )
            .on_conflict_do_nothing()
        )
        await session.execute(
            update(FaultSighting)
            .where(
                FaultSighting.charging_station_id == station_id,
                FaultSighting.error_code == code,
                FaultSighting.firmware_version == firmware,
            )
            .values(count=FaultSighting.count + 1, last_at=at)
            .execution_options(synchronize_session=False)
        )

    @staticmethod
    async def _chargers(session: AsyncSession, pattern: Pattern, since: datetime) -> list[str]:
        vendor, model, firmware, code = pattern
        rows = await session.execute(
            select(ChargingStation.ocpp_id)
            .join(FaultSighting, FaultSighting.charging_station_id == ChargingStation.id)
            .where(
                FaultSighting.vendor == vendor,
                FaultSighting.model == model,
                FaultSighting.firmware_version == firmware,
                FaultSighting.error_code == code,
                FaultSighting.last_at >= since,
            )
        )
        return sorted({ocpp_id for (ocpp_id,) in rows})

    async def sweep(self) -> None:
        """Clear the reported patterns that fewer than ``min_chargers`` chargers show within the window now."""
        since = utc_now() - WINDOW
        for pattern in list(self._active):
            async with self._session_factory() as session:
                chargers = await self._chargers(session, pattern, since)
            if len(chargers) < self._min_chargers():
                del self._active[pattern]
                await self._report(pattern, chargers, active=False, at=utc_now())

    async def _report(self, pattern: Pattern, chargers: list[str], *, active: bool, at: datetime) -> None:
        if self.sink is None or not self.rules.rule(FLEET_FAULT_PATTERN).enabled:
            return
        detail = pattern_detail(pattern, chargers)
        report = ConditionReport(
            rule=FLEET_FAULT_PATTERN,
            charger_id=None,
            connector_id=None,
            active=active,
            at=at,
            detail=detail,
            subject=detail["pattern"],
        )
        try:
            await self.sink.report(report)
        except Exception:
            logger.exception("condition report failed", extra={"rule": FLEET_FAULT_PATTERN})
