"""The alert engine behind the detectors' `ConditionSink`: every condition report lands on the one alert of its
charger problem (de-duplication), which opens once the condition held for the rule's raise time and resolves itself
once it stayed clear for the rule's clear time (hysteresis: a condition back within the clear time is the same
alert). Opening grades the notice by severity, and a rule that stops drivers charging opens a support ticket.

Reports of one problem are serialised by a lock on its key for the transaction (an advisory lock on PostgreSQL,
the single write lock on SQLite), so several processes reporting the same problem still make one alert. Within a
process, reports queue for one writer that applies whatever has gathered in one transaction, in key order (the
locks of two processes' batches are then taken in the same order): a burst of thousands of reports costs a
handful of commits instead of thousands of writers waiting for SQLite's lock. A batch that fails is applied again
report by report, so one bad report fails alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import ChargingStation, MailMessage
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
BATCH = 250  # reports applied in one transaction at most
LOCATION_SECONDS = 300.0  # a charger moved to another site gets its new site's alerts after this
LOCATIONS_KEPT = 100_000
STOP_SECONDS = 10.0  # what a stopping process waits for the queued reports

_Queued = tuple[ConditionReport, "asyncio.Future[None]"]


def live_key(condition: ConditionReport) -> str:
    """One alert per rule, charger and connector; a network-wide condition (no charger) per rule and `subject`
    (kept within the column's 200 characters)."""
    about = condition.charger_id or (condition.subject or "*")[:120]
    return f"{condition.rule}:{about}:{condition.connector_id or 0}"


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


def _fail(future: asyncio.Future[None], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
    logger.error("an alert condition report failed: %s", exc)


async def claim_many(session: AsyncSession, keys: Iterable[str]) -> None:
    """`claim` for a batch's keys in one statement, always in the same order (two batches cannot deadlock)."""
    numbers = sorted({_lock_number(key) for key in keys})
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            text(
                "SELECT count(pg_advisory_xact_lock(k)) FROM "
                "(SELECT k FROM unnest(CAST(:keys AS bigint[])) WITH ORDINALITY AS t(k, n) ORDER BY n) AS ordered"
            ),
            {"keys": numbers},
        )
    else:
        await session.execute(
            update(OperationAlert)
            .where(OperationAlert.live_key.in_(set(keys)))
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
        self.ticket_work: dict[uuid.UUID, bool] = {}  # alerts whose support ticket to open (False) or update (True)

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
        self._queue: asyncio.Queue[_Queued] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        self._stopped = False
        self._locations: dict[str, tuple[float, uuid.UUID | None]] = {}
        self._ticket_queue: asyncio.Queue[tuple[uuid.UUID, bool]] = asyncio.Queue()
        self._ticket_writer: asyncio.Task[None] | None = None

    # -- the sink ------------------------------------------------------------------------------------------------

    async def report(self, condition: ConditionReport) -> None:
        """Take one condition report; returns once it is committed (raises what applying it raised)."""
        if not self.rules.knows(condition.rule):
            logger.warning("condition of an unknown rule ignored", extra={"rule": condition.rule})
            return
        if self._stopped:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((condition, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="alert engine writer")
        await future

    async def stop(self) -> None:
        """Finish the queued reports and take no more."""
        self._stopped = True
        if self._writer is not None and not self._writer.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queue.join(), STOP_SECONDS)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ticket_queue.join(), STOP_SECONDS)
        for task in (self._writer, self._ticket_writer):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._writer = self._ticket_writer = None

    async def _write(self) -> None:
        """Apply what is queued, then end (the next report starts a writer again)."""
        while not self._queue.empty():
            batch = [self._queue.get_nowait()]
            while len(batch) < BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._apply_batch(batch)
            except Exception as exc:
                if len(batch) == 1:
                    _fail(batch[0][1], exc)
                else:
                    for item in batch:
                        try:
                            await self._apply_batch([item])
                        except Exception as failure:
                            _fail(item[1], failure)
            for _ in batch:
                self._queue.task_done()

    async def _apply_batch(self, batch: list[_Queued]) -> None:
        changes = Changes()
        keyed = [(live_key(c), c) for c, _ in batch]
        keyed.sort(key=lambda item: item[0])
        async with self.session_factory() as session:
            keys = [key for key, _ in keyed]
            await claim_many(session, keys)
            live: dict[str, OperationAlert | None] = dict.fromkeys(keys)
            found = await session.execute(select(OperationAlert).where(OperationAlert.live_key.in_(set(keys))))
            for alert in found.scalars():
                live[alert.live_key or ""] = alert
            await self._prefetch_locations(session, [c.charger_id for key, c in keyed if live[key] is None])
            await self.notices.recipients.prefetch(
                session, [self._locations.get(c.charger_id or "", (0.0, None))[1] for _, c in keyed]
            )
            for key, condition in keyed:
                await self.apply(session, self.rules.rule(condition.rule), condition, changes, key=key, live=live)
            await session.commit()
            for _, future in batch:
                if not future.done():
                    future.set_result(None)
            await self.announce(session, changes)

    async def apply(
        self,
        session: AsyncSession,
        rule: AlertRule,
        condition: ConditionReport,
        changes: Changes,
        *,
        key: str,
        live: dict[str, OperationAlert | None],
    ) -> None:
        """One report, its key claimed and `live` holding the key's live alert (kept up to date here)."""
        alert = live.get(key)
        at = condition.at
        if condition.active:
            if not rule.enabled:
                return
            if alert is None:
                location_id = await self._location(session, condition.charger_id)
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
                live[key] = alert
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
                changes.ticket_work[alert.id] = True
            return
        if alert is None:
            return
        if alert.state == "pending":
            await session.delete(alert)  # it never held long enough to be an alert
            live[key] = None
            return
        if alert.condition_active:
            alert.condition_active = False
            alert.cleared_since = at
            alert.last_seen_at = max(alert.last_seen_at, at)
            history.record(session, alert, "updated", at, {"cleared": True})
            changes.alert(alert)
        if at - (alert.cleared_since or at) >= timedelta(seconds=rule.clear_after_seconds):
            await self.resolve(session, alert, at, changes, auto=True)
            live[key] = None

    async def _prefetch_locations(self, session: AsyncSession, charger_ids: Iterable[str | None]) -> None:
        """The sites of a batch's chargers not remembered now, in one query."""
        now = time.monotonic()
        missing = {
            charger_id
            for charger_id in charger_ids
            if charger_id is not None and (charger_id not in self._locations or self._locations[charger_id][0] <= now)
        }
        if not missing:
            return
        if len(self._locations) >= LOCATIONS_KEPT:
            self._locations.clear()
        for charger_id in missing:
            self._locations[charger_id] = (now + LOCATION_SECONDS, None)  # unless it is there (below)
        rows = await session.execute(
            select(ChargingStation.ocpp_id, ChargingStation.location_id).where(ChargingStation.ocpp_id.in_(missing))
        )
        for charger_id, location_id in rows:
            self._locations[charger_id] = (now + LOCATION_SECONDS, location_id)

    async def _location(self, session: AsyncSession, charger_id: str | None) -> uuid.UUID | None:
        """The charger's site, remembered for a while: a report burst asks for the same chargers again and again."""
        if charger_id is None:
            return None
        now = time.monotonic()
        known = self._locations.get(charger_id)
        if known is not None and known[0] > now:
            return known[1]
        location_id = await charger_location(session, charger_id)
        if len(self._locations) >= LOCATIONS_KEPT:
            self._locations.clear()
        self._locations[charger_id] = (now + LOCATION_SECONDS, location_id)
        return location_id

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
            changes.ticket_work[alert.id] = False
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
        if changes.ticket_work:
            for item in changes.ticket_work.items():
                self._ticket_queue.put_nowait(item)
            if self._ticket_writer is None or self._ticket_writer.done():
                self._ticket_writer = asyncio.create_task(self._link_tickets(), name="alert engine tickets")

    # -- support tickets, after the alert committed --------------------------------------------------------------

    async def _link_tickets(self) -> None:
        while not self._ticket_queue.empty():
            alert_id, again = self._ticket_queue.get_nowait()
            try:
                await self.link_ticket(alert_id, again=again)
            except Exception:
                logger.exception("the support ticket of alert %s failed; the scan tries again", alert_id)
            finally:
                self._ticket_queue.task_done()

    async def link_ticket(self, alert_id: uuid.UUID, *, again: bool = False) -> int | None:
        """Open (or, `again`, update) the support ticket of a live alert whose rule stops drivers charging, and link
        it; its id. Done after the alert committed, so a slow ticket never delays an alert; the scan links what a
        stopped process left unlinked. One ticket per charger problem whoever does it (the desk's grouping lock)."""
        if self.tickets is None:
            return None
        async with self.session_factory() as session:
            alert = await session.get(OperationAlert, alert_id)
            if alert is None or alert.live_key is None or not self.rules.knows(alert.rule):
                return None
            await claim(session, alert.live_key)
            await session.refresh(alert)
            rule = self.rules.rule(alert.rule)
            if alert.state not in LIVE_STATES or not rule.affects_drivers or (alert.ticket_id and not again):
                return alert.ticket_id
            alert.ticket_id = await self.tickets.open_or_update(session, alert, rule, self.clock())
            ticket_id = alert.ticket_id
            await session.commit()
        if self.on_ticket_changed is not None:
            await self.on_ticket_changed(ticket_id)
        return ticket_id

    async def settle(self) -> None:
        """Wait for the tickets of the alerts committed so far (tests; shutdown)."""
        await self._ticket_queue.join()
