"""All the detectors of one process, built on one sink and one rule book, with the timer of their scans.

The composition root (`api/services.py`) connects them to the paths they watch: the OCPP backend's events
(`chargers`), the sessions service's settled starts (`failed_starts`) and the payment provider (`payments`).
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.domain.operations.conditions import AlertRule, ConditionReport, ConditionSink, RuleBook
from api.domain.operations.detectors.charger_messages import ChargerConditions
from api.domain.operations.detectors.clock import WALL_CLOCK, Clock
from api.domain.operations.detectors.failed_starts import FailedStarts
from api.domain.operations.detectors.offline import OfflineChargers
from api.domain.operations.detectors.payments import CountedPayments, PaymentFailureRate
from api.domain.operations.detectors.queue import ConditionQueue
from api.domain.operations.detectors.stuck_stopping import StuckStops
from api.domain.payments.ports import PaymentProvider
from api.periodic import Periodic

logger = logging.getLogger(__name__)

SCAN_SECONDS = 30.0  # how often time-triggered conditions are looked for (offline, stuck stops, payment rate)


class LoggedConditions:
    """A `ConditionSink` that writes conditions to the log: what a process without the alert engine uses. Like the
    engine it says each thing once: a condition when it starts, and its end only if its start was said."""

    def __init__(self) -> None:
        self._active: set[tuple[str, str | None, int | None]] = set()

    async def report(self, condition: ConditionReport) -> None:
        key = (condition.rule, condition.charger_id, condition.connector_id)
        if condition.active == (key in self._active):
            return
        if condition.active:
            self._active.add(key)
        else:
            self._active.discard(key)
        logger.log(
            logging.WARNING if condition.active else logging.INFO,
            "%s %s on %s%s: %s",
            condition.rule,
            "started" if condition.active else "ended",
            condition.charger_id or "the network",
            "" if condition.connector_id is None else f" connector {condition.connector_id}",
            condition.detail,
            extra={"charger_id": condition.charger_id},
        )


class NetworkDetectors:
    """Implements `RuleBook` for its detectors by asking the rule book it is connected to now."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        sink: ConditionSink,
        rules: RuleBook,
        clock: Clock = WALL_CLOCK,
        scan_seconds: float = SCAN_SECONDS,
    ) -> None:
        self._rules = rules
        self.queue = ConditionQueue(sink)
        self.chargers = ChargerConditions(self.queue, self)
        self.failed_starts = FailedStarts(session_factory, self.queue, self, clock)
        self.offline = OfflineChargers(session_factory, self, clock)
        self.stuck_stops = StuckStops(session_factory, self, clock)
        self.payment_rate = PaymentFailureRate(session_factory, self, clock)
        self._scans = Periodic("alert-condition-scans", scan_seconds, self.scan)
        self._payment_checks = Periodic("payment-failure-rate", scan_seconds, self.check_payments)

    def connect(self, sink: ConditionSink, rules: RuleBook) -> None:
        """Report to `sink` with the thresholds of `rules` from now on (the alert engine, once it is built)."""
        self.queue.sink = sink
        self._rules = rules

    def rule(self, name: str) -> AlertRule:
        return self._rules.rule(name)

    def payments(self, inner: PaymentProvider) -> CountedPayments:
        """`inner` with every attempt counted; a failure has the rate checked at once."""
        return CountedPayments(inner, self.payment_rate, on_failure=self._payment_checks.wake)

    async def scan(self) -> None:
        """Look for the time-triggered conditions once and deliver what changed."""
        self.queue.run(self.offline.scan)
        self.queue.run(self.stuck_stops.scan)
        await self.queue.drain()

    async def check_payments(self) -> None:
        self.queue.run(self.payment_rate.check)
        await self.queue.drain()

    def start(self) -> None:
        self._scans.start()
        self._payment_checks.start()

    async def drain(self) -> None:
        await self.queue.drain()

    async def stop(self) -> None:
        await self._payment_checks.stop()
        await self._scans.stop()
        await self.queue.stop()
