"""`payment_failures` (network-wide): the share of failed payment attempts (pre-authorisations and captures) in the
last `window_minutes` is above the rule's `rate`, with at least `min_attempts` attempts.

Every attempt's outcome is stored (`payment_attempts`), so all processes count the same attempts. The rate is
checked after each failure (at once) and on a timer (a rate also falls back below the threshold as failures age out
of the window); each process reports a change of the condition once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Literal

from sqlalchemy import case, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import PaymentAttempt
from api.domain.operations.conditions import ConditionReport, RuleBook
from api.domain.operations.detectors.clock import Clock
from api.domain.payments.ports import Payer, PaymentHold, PaymentProvider, Refund, Settlement

logger = logging.getLogger(__name__)

RULE = "payment_failures"
KEEP = timedelta(days=2)  # attempts older than this are deleted by the check
Outcome = Literal["ok", "declined", "error", "debt"]


class PaymentFailureRate:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession], rules: RuleBook, clock: Clock) -> None:
        self._session_factory = session_factory
        self._rules = rules
        self._clock = clock
        self._active: bool | None = None  # what this process last reported; None: nothing yet

    async def record(self, operation: Literal["authorize", "settle"], outcome: Outcome) -> None:
        """Store one attempt; never raises (a payment must not fail because its count could not be kept)."""
        try:
            async with self._session_factory() as session, session.begin():
                await session.execute(
                    insert(PaymentAttempt).values(at=self._clock(), operation=operation, outcome=outcome)
                )
        except Exception:
            logger.exception("could not record a payment attempt")

    async def check(self) -> list[ConditionReport]:
        rule = self._rules.rule(RULE)
        now = self._clock()
        window = rule.params.get("window_minutes", 60.0)
        failed = case((PaymentAttempt.outcome == "ok", 0), else_=1)
        async with self._session_factory() as session, session.begin():
            attempts, failures = (
                await session.execute(
                    select(func.count(), func.coalesce(func.sum(failed), 0)).where(
                        PaymentAttempt.at >= now - timedelta(minutes=window), PaymentAttempt.at <= now
                    )
                )
            ).one()
            await session.execute(delete(PaymentAttempt).where(PaymentAttempt.at < now - KEEP))
        attempts, failures = int(attempts), int(failures)
        rate = failures / attempts if attempts else 0.0
        active = (
            rule.enabled and attempts >= rule.params.get("min_attempts", 10.0) and rate > rule.params.get("rate", 0.2)
        )
        if active == self._active:
            return []
        self._active = active
        detail = {
            "failures": str(failures),
            "attempts": str(attempts),
            "failureRate": f"{rate:.2f}",
            "threshold": f"{rule.params.get('rate', 0.2):g}",
            "windowMinutes": f"{window:g}",
        }
        return [ConditionReport(RULE, None, None, active, now, detail)]


class CountedPayments:
    """Implements `PaymentProvider` by delegating to `inner`, recording the outcome of every pre-authorisation and
    capture that moves money (a free session's `not_required` hold is no attempt)."""

    def __init__(
        self, inner: PaymentProvider, rate: PaymentFailureRate, *, on_failure: Callable[[], None] | None = None
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self._rate = rate
        self.on_failure = on_failure

    @property
    def requires_payment_method(self) -> bool:
        return self.inner.requires_payment_method

    async def has_usable_method(self, payer: Payer) -> bool:
        return await self.inner.has_usable_method(payer)

    async def authorize(
        self, payer: Payer, *, amount_minor: int, currency: str, idempotency_key: str, description: str
    ) -> PaymentHold:
        try:
            hold = await self.inner.authorize(
                payer,
                amount_minor=amount_minor,
                currency=currency,
                idempotency_key=idempotency_key,
                description=description,
            )
        except Exception:
            await self._record("authorize", "error")
            raise
        if hold.status != "not_required":
            await self._record("authorize", "declined" if hold.status == "declined" else "ok")
        return hold

    async def settle(
        self, payer: Payer, hold: PaymentHold, *, amount_minor: int, idempotency_key: str, description: str
    ) -> Settlement:
        counted = hold.status == "authorized"
        try:
            settlement = await self.inner.settle(
                payer, hold, amount_minor=amount_minor, idempotency_key=idempotency_key, description=description
            )
        except Exception:
            if counted:
                await self._record("settle", "error")
            raise
        if counted:
            await self._record("settle", "debt" if settlement.debt_minor else "ok")
        return settlement

    async def release(self, hold: PaymentHold, *, idempotency_key: str) -> None:
        await self.inner.release(hold, idempotency_key=idempotency_key)

    async def refund(
        self, payment_reference: str | None, *, amount_minor: int, currency: str, idempotency_key: str, reason: str
    ) -> Refund:
        return await self.inner.refund(
            payment_reference,
            amount_minor=amount_minor,
            currency=currency,
            idempotency_key=idempotency_key,
            reason=reason,
        )

    async def _record(self, operation: Literal["authorize", "settle"], outcome: Outcome) -> None:
        await self._rate.record(operation, outcome)
        if outcome != "ok" and self.on_failure is not None:
            self.on_failure()
