"""The periodic scan: what happens with time rather than with a report. Pending conditions that held for their
rule's raise time open; alerts clear for their clear time resolve themselves; major notices held by the quiet hours
go out when they end; unacknowledged critical and major alerts escalate once; the minor digest goes out on business
days at its time.

Every step claims its change with a lock on the alert's key or a conditional UPDATE (and the digest with the
primary key of its day), so several processes scanning one database do each thing once.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Final

import msgspec
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models.operation_alerts import AlertDigest, OperationAlert
from api.domain.operations.alerts import history
from api.domain.operations.alerts.engine import LIVE_STATES, AlertEngine, Changes, claim
from api.domain.operations.alerts.rulebook import escalation_minutes
from api.periodic import Periodic

logger = logging.getLogger(__name__)

SCAN_SECONDS: Final = 5.0
BATCH: Final = 500


class ScanResult(msgspec.Struct, kw_only=True):
    opened: int = 0
    resolved: int = 0
    notified: int = 0
    escalated: int = 0
    digested: int = 0
    ticketed: int = 0


class AlertScan:
    def __init__(self, engine: AlertEngine, interval: float = SCAN_SECONDS) -> None:
        self._engine = engine
        self._periodic = Periodic("operation-alerts", interval, self.run)

    def start(self) -> None:
        self._periodic.start()

    async def stop(self) -> None:
        await self._periodic.stop()

    def wake(self) -> None:
        self._periodic.wake()

    async def run(self) -> None:
        await self.scan()

    async def scan(self, now: datetime | None = None) -> ScanResult:
        """Do what is due at `now` (default: the engine's clock)."""
        moment = now or self._engine.clock()
        await self._engine.rules.refresh()
        result = ScanResult()
        async with self._engine.session_factory() as session:
            pending = list(
                (
                    await session.execute(
                        select(OperationAlert.id, OperationAlert.live_key)
                        .where(OperationAlert.state == "pending", OperationAlert.condition_active.is_(True))
                        .limit(BATCH)
                    )
                ).all()
            )
            clearing = list(
                (
                    await session.execute(
                        select(OperationAlert.id, OperationAlert.live_key)
                        .where(OperationAlert.state.in_(LIVE_STATES), OperationAlert.condition_active.is_(False))
                        .limit(BATCH)
                    )
                ).all()
            )
            held = list(
                (
                    await session.execute(
                        select(OperationAlert.id)
                        .where(
                            OperationAlert.state == "open",
                            OperationAlert.notified_at.is_(None),
                            OperationAlert.severity.in_(("critical", "major")),
                        )
                        .limit(BATCH)
                    )
                ).scalars()
            )
            unacknowledged = list(
                (
                    await session.execute(
                        select(OperationAlert)
                        .where(
                            OperationAlert.state == "open",
                            OperationAlert.escalated_at.is_(None),
                            OperationAlert.notified_at.is_not(None),
                            OperationAlert.severity.in_(("critical", "major")),
                        )
                        .limit(BATCH)
                    )
                ).scalars()
            )
        driver_rules = [rule.name for rule in self._engine.rules.all() if rule.affects_drivers]
        async with self._engine.session_factory() as session:
            unlinked = list(
                (
                    await session.execute(
                        select(OperationAlert.id)
                        .where(
                            OperationAlert.state.in_(LIVE_STATES),
                            OperationAlert.ticket_id.is_(None),
                            OperationAlert.rule.in_(driver_rules),
                        )
                        .limit(BATCH)
                    )
                ).scalars()
            )
        for alert_id in unlinked:
            result.ticketed += int(await self._engine.link_ticket(alert_id) is not None)
        for alert_id, key in pending:
            result.opened += await self._raise(alert_id, key, moment)
        for alert_id, key in clearing:
            result.resolved += await self._clear(alert_id, key, moment)
        for alert_id in held:
            result.notified += await self._tell(alert_id, moment)
        for alert in unacknowledged:
            rules = self._engine.rules
            minutes = escalation_minutes(rules.rule(alert.rule)) if rules.knows(alert.rule) else None
            if minutes is None or alert.notified_at is None or moment - alert.notified_at < timedelta(minutes=minutes):
                continue
            if alert.severity == "major" and self._engine.timing.quiet(moment):
                continue  # held like the notice itself
            result.escalated += await self._escalate(alert.id, moment)
        result.digested = await self._digest(moment)
        return result

    async def _locked(self, session: AsyncSession, alert_id: uuid.UUID, key: str | None) -> OperationAlert | None:
        if key is not None:
            await claim(session, key)
        return (await session.execute(select(OperationAlert).where(OperationAlert.id == alert_id))).scalar_one_or_none()

    async def _raise(self, alert_id: uuid.UUID, key: str | None, now: datetime) -> int:
        engine = self._engine
        async with engine.session_factory() as session:
            alert = await self._locked(session, alert_id, key)
            if alert is None or alert.state != "pending" or not alert.condition_active:
                return 0
            if not engine.rules.knows(alert.rule) or not engine.rules.rule(alert.rule).enabled:
                await session.delete(alert)
                await session.commit()
                return 0
            rule = engine.rules.rule(alert.rule)
            if now - alert.first_seen_at < timedelta(seconds=rule.raise_after_seconds):
                return 0
            changes = Changes()
            await engine.open(session, alert, rule, now, changes)
            await session.commit()
            await engine.announce(session, changes)
        return 1

    async def _clear(self, alert_id: uuid.UUID, key: str | None, now: datetime) -> int:
        engine = self._engine
        async with engine.session_factory() as session:
            alert = await self._locked(session, alert_id, key)
            if alert is None or alert.state not in LIVE_STATES or alert.condition_active or alert.cleared_since is None:
                return 0
            clear_after = engine.rules.rule(alert.rule).clear_after_seconds if engine.rules.knows(alert.rule) else 0
            if now - alert.cleared_since < timedelta(seconds=clear_after):
                return 0
            changes = Changes()
            await engine.resolve(session, alert, now, changes, auto=True)
            await session.commit()
            await engine.announce(session, changes)
        return 1

    async def _tell(self, alert_id: uuid.UUID, now: datetime) -> int:
        engine = self._engine
        async with engine.session_factory() as session:
            alert = await session.get(OperationAlert, alert_id)
            if alert is None or not engine.tells_at_once(alert.severity, now):
                return 0
            claimed = await session.execute(
                update(OperationAlert)
                .where(OperationAlert.id == alert_id, OperationAlert.notified_at.is_(None))
                .values(notified_at=now)
                .execution_options(synchronize_session=False)
            )
            if getattr(claimed, "rowcount", 0) != 1:
                await session.rollback()
                return 0  # another process told it
            changes = Changes()
            await session.refresh(alert)
            await engine.notify_opened(session, alert, now, changes)
            await session.commit()
            await engine.announce(session, changes)
        return 1

    async def _escalate(self, alert_id: uuid.UUID, now: datetime) -> int:
        engine = self._engine
        async with engine.session_factory() as session:
            claimed = await session.execute(
                update(OperationAlert)
                .where(
                    OperationAlert.id == alert_id,
                    OperationAlert.state == "open",
                    OperationAlert.escalated_at.is_(None),
                )
                .values(escalated_at=now)
                .execution_options(synchronize_session=False)
            )
            if getattr(claimed, "rowcount", 0) != 1:
                await session.rollback()
                return 0
            alert = (await session.execute(select(OperationAlert).where(OperationAlert.id == alert_id))).scalar_one()
            await session.refresh(alert)
            minutes = round((now - (alert.notified_at or now)).total_seconds() / 60)
            history.record(session, alert, "escalated", now, {"unacknowledgedMinutes": minutes})
            changes = Changes()
            changes.mails.extend(await engine.notices.escalated(session, alert, now))
            changes.alert(alert)
            await session.commit()
            await engine.announce(session, changes)
        return 1

    async def _digest(self, now: datetime) -> int:
        engine = self._engine
        day = engine.timing.digest_day(now)
        if day is None:
            return 0
        async with engine.session_factory() as session:
            if await session.get(AlertDigest, day) is not None:
                return 0
            session.add(AlertDigest(day=day, sent_at=now, alerts=0))
            try:
                await session.flush()
            except IntegrityError:
                await session.rollback()
                return 0  # another process is sending it
            alerts = list(
                (
                    await session.execute(
                        select(OperationAlert)
                        .where(
                            OperationAlert.severity == "minor",
                            OperationAlert.opened_at.is_not(None),
                            OperationAlert.opened_at <= engine.timing.digest_moment(day),
                            OperationAlert.digested_at.is_(None),
                        )
                        .order_by(OperationAlert.opened_at)
                    )
                ).scalars()
            )
            for alert in alerts:
                alert.digested_at = now
            changes = Changes()
            changes.mails.extend(await engine.notices.digest(session, alerts, now))
            digest = await session.get(AlertDigest, day)
            if digest is not None:
                digest.alerts = len(alerts)
            try:
                await session.commit()
            except IntegrityError:
                await session.rollback()
                return 0
            await engine.announce(session, changes)
        logger.info("minor alerts digest sent", extra={"alerts": len(alerts)})
        return len(alerts)
