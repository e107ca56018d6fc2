"""The alert engine behind the detectors' `ConditionSink`: every condition report lands on the one alert of its
charger problem (de-duplication), which opens once the condition held for the rule's raise time and resolves itself
once it stayed clear for the rule's clear time (hysteresis: a condition back within the clear time is the same
alert). Opening grades the notice by severity, and a rule that stops drivers charging opens a support ticket.

Reports of one problem are serialised by a lock on its key for the transaction (an advisory lock on PostgreSQL,
the single write lock on SQLite), so several processes reporting the same problem still make one alert.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import MailMessage
from api.db.models.operation_alerts import OperationAlert
from api.db.types import utc_now
from api.domain.operations.alerts import history
from api.domain.operations.alerts.feed import AlertFeed
from api.domain.operations.alerts.history import SYSTEM, Actor
from api.domain.operations.alerts.notices import Notices
from api.domain.operations.alerts.rulebook import LiveRuleBook
from api.domain.operations.alerts.tickets import AlertTickets
from api.domain.operations.alerts.timing import AlertTiming
from api.domain.operations.conditions import AlertRule, ConditionReport
from api.domain.operations.scope import charger_location

logger = logging.getLogger(__name__)

LIVE_STATES = ("open", "acknowledged")


def live_key(rule: str, charger_id: str | None, connector_id: int | None) -> str:
    return f"{rule}:{charger_id or '*'}:{connector_id or 0}"


def _lock_number(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"alert:{key}".encode(), digest_size=8).digest(), "big", signed=True)


async def claim(session: AsyncSession, key: str) -> None:
    """Hold the problem's key until the transaction ends (see the module docstring)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(_lock_number(key))))
    else:
        await session.execute(
            update(OperationAlert)
            .where(OperationAlert.live_key == key)
            .values(live_key=OperationAlert.live_key)
            .execution_options(synchronize_session=False)
        )


class Changes:
    """What a transaction changed, told after its commit: alerts for the live feed, mails to send, tickets for the
    support queue."""

    def __init__(self) -> None:
        self.alerts: dict[uuid.UUID, OperationAlert] = {}
        self.mails: list[MailMessage] = []
        self.tickets: set[int] = set()

    def alert(self, alert: OperationAlert) -> None:
        self.alerts[alert.id] = alert


class AlertEngine:
    """Implements `ConditionSink`. The transitions are methods so the scan and the console's actions share them."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        rules: LiveRuleBook,
        notices: Notices,
        tickets: AlertTickets | None,
        feed: AlertFeed | None,
        timing: AlertTiming,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.session_factory = session_factory
        self.rules = rules
        self.notices = notices
        self.tickets = tickets
        self.feed = feed
        self.timing = timing
        self.clock = clock
        self.on_ticket_changed: Callable[[int], Awaitable[None]] | None = None

    # -- the sink ------------------------------------------------------------------------------------------------

    async def report(self, condition: ConditionReport) -> None:
        """Take one condition report (committed before this returns)."""
        if not self.rules.knows(condition.rule):
            logger.warning("condition of an unknown rule ignored", extra={"rule": condition.rule})
            return
        rule = self.rules.rule(condition.rule)
        changes = Changes()
        async with self.session_factory() as session:
            await self.apply(session, rule, condition, changes)
            await session.commit()
            await self.announce(session, changes)

    async def apply(self, session: AsyncSession, rule: AlertRule, condition: ConditionReport, changes: Changes) -> None:
        key = live_key(condition.rule, condition.charger_id, condition.connector_id)
        await claim(session, key)
        alert = (
            await session.execute(select(OperationAlert).where(OperationAlert.live_key == key))
        ).scalar_one_or_none()
        at = condition.at
        if condition.active:
            if not rule.enabled:
                return
            if alert is None:
                location_id = await charger_location(session, condition.charger_id) if condition.charger_id else None
                alert = OperationAlert(
                    id=uuid.uuid4(),
                    live_key=key,
                    rule=condition.rule,
                    charger_id=condition.charger_id,
                    connector_id=condition.connector_id,
                    location_id=location_id,
                    state="pending",
                    severity=rule.severity,
                    title=rule.title,
                    detail=dict(condition.detail),
                    occurrences=1,
                    condition_active=True,
                    first_seen_at=at,
                    last_seen_at=at,
                    updated_at=at,
                    auto_resolved=False,
                )
                session.add(alert)
                if rule.raise_after_seconds <= 0:
                    await self.open(session, alert, rule, at, changes)
                return
            alert.occurrences += 1
            alert.last_seen_at = max(alert.last_seen_at, at)
            changed = dict(condition.detail) != dict(alert.detail or {})
            alert.detail = dict(condition.detail)
            if alert.state == "pending":
                if at - alert.first_seen_at >= timedelta(seconds=rule.raise_after_seconds):
                    await self.open(session, alert, rule, at, changes)
                return
            came_back = not alert.condition_active
            alert.condition_active = True
            alert.cleared_since = None
            if came_back or changed:
                history.record(session, alert, "updated", at, {"occurrences": alert.occurrences, "returned": came_back})
                changes.alert(alert)
            if came_back and rule.affects_drivers and self.tickets is not None:
                alert.ticket_id = await self.tickets.open_or_update(session, alert, rule, at)
                changes.tickets.add(alert.ticket_id)
            return
        if alert is None:
            return
        if alert.state == "pending":
            await session.delete(alert)  # it never held long enough to be an alert
            return
        if alert.condition_active:
            alert.condition_active = False
            alert.cleared_since = at
            alert.last_seen_at = max(alert.last_seen_at, at)
            history.record(session, alert, "updated", at, {"cleared": True})
            changes.alert(alert)
        if at - (alert.cleared_since or at) >= timedelta(seconds=rule.clear_after_seconds):
            await self.resolve(session, alert, at, changes, auto=True)

    # -- transitions ---------------------------------------------------------------------------------------------

    async def open(
        self, session: AsyncSession, alert: OperationAlert, rule: AlertRule, now: datetime, changes: Changes
    ) -> None:
        alert.state = "open"
        alert.opened_at = now
        alert.severity = rule.severity
        alert.title = rule.title
        history.record(
            session,
            alert,
            "opened",
            now,
            {"severity": rule.severity, "heldSince": alert.first_seen_at.isoformat(), "detail": dict(alert.detail)},
        )
        if rule.affects_drivers and self.tickets is not None:
            await session.flush()
            alert.ticket_id = await self.tickets.open_or_update(session, alert, rule, now)
            changes.tickets.add(alert.ticket_id)
        if self.tells_at_once(alert.severity, now):
            await self.notify_opened(session, alert, now, changes)
        changes.alert(alert)

    def tells_at_once(self, severity: str, now: datetime) -> bool:
        """Critical: always; major: outside quiet hours (held until they end); minor: the digest; info: never."""
        return severity == "critical" or (severity == "major" and not self.timing.quiet(now))

    async def notify_opened(
        self, session: AsyncSession, alert: OperationAlert, now: datetime, changes: Changes
    ) -> None:
        alert.notified_at = now
        changes.mails.extend(await self.notices.opened(session, alert, now))

    async def resolve(
        self,
        session: AsyncSession,
        alert: OperationAlert,
        now: datetime,
        changes: Changes,
        *,
        auto: bool,
        actor: Actor = SYSTEM,
        note: str | None = None,
    ) -> None:
        alert.state = "resolved"
        alert.live_key = None
        alert.resolved_at = now
        alert.auto_resolved = auto
        alert.resolved_by = actor.id
        alert.resolution_note = note
        history.record(session, alert, "resolved", now, {"auto": auto, **({"note": note} if note else {})}, actor)
        if alert.notified_at is not None:
            changes.mails.extend(await self.notices.resolved(session, alert, now))
        if self.tickets is not None:
            ticket_id = await self.tickets.recovered(session, alert, now)
            if ticket_id is not None:
                changes.tickets.add(ticket_id)
        changes.alert(alert)

    async def announce(self, session: AsyncSession, changes: Changes) -> None:
        """After the commit: mails to the sender, alerts to the live feed, tickets to the support queue."""
        self.notices.sent(self.session_factory, changes.mails)
        if self.feed is not None and changes.alerts:
            for summary in await history.summaries(session, list(changes.alerts.values())):
                self.feed.alert_changed(summary)
        if self.on_ticket_changed is not None:
            for ticket_id in sorted(changes.tickets):
                try:
                    await self.on_ticket_changed(ticket_id)
                except Exception:
                    logger.exception("announcing ticket %s failed", ticket_id)
