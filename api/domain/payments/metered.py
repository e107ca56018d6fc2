"""A payment provider wrapped so that every call to it is counted and timed (Prometheus, see `api.metrics`)."""

from __future__ import annotations

import time
from collections.abc import Awaitable
from typing import TypeVar

from api.domain.payments.ports import Payer, PaymentHold, PaymentProvider, Refund, Settlement
from api.metrics.instruments import PAYMENT_CALLS, PAYMENT_SECONDS

T = TypeVar("T")


class MeteredPaymentProvider:
    """Implements `PaymentProvider` by delegating to `inner`; outcomes are `ok`, `declined` (a declined hold) and
    `error` (the call raised: the provider is unreachable or refused the request)."""

    def __init__(self, inner: PaymentProvider) -> None:
        self.inner = inner
        self.name = inner.name
        for operation in ("has_usable_method", "authorize", "settle", "release", "refund"):
            PAYMENT_SECONDS.labels(self.name, operation)
            for outcome in ("ok", "error"):
                PAYMENT_CALLS.labels(self.name, operation, outcome)
        PAYMENT_CALLS.labels(self.name, "authorize", "declined")

    @property
    def requires_payment_method(self) -> bool:
        return self.inner.requires_payment_method

    async def _timed(self, operation: str, call: Awaitable[T]) -> T:
        started = time.perf_counter()
        try:
            result = await call
        except BaseException:
            PAYMENT_CALLS.labels(self.name, operation, "error").inc()
            raise
        finally:
            PAYMENT_SECONDS.labels(self.name, operation).observe(time.perf_counter() - started)
        declined = isinstance(result, PaymentHold) and result.status == "declined"
        PAYMENT_CALLS.labels(self.name, operation, "declined" if declined else "ok").inc()
        return result

    async def has_usable_method(self, payer: Payer) -> bool:
        return await self._timed("has_usable_method", self.inner.has_usable_method(payer))

    async def authorize(
        self, payer: Payer, *, amount_minor: int, currency: str, idempotency_key: str, description: str
    ) -> PaymentHold:
        call = self.inner.authorize(
            payer,
            amount_minor=amount_minor,
            currency=currency,
            idempotency_key=idempotency_key,
            description=description,
        )
        return await self._timed("authorize", call)

    async def settle(
        self, payer: Payer, hold: PaymentHold, *, amount_minor: int, idempotency_key: str, description: str
    ) -> Settlement:
        call = self.inner.settle(
            payer, hold, amount_minor=amount_minor, idempotency_key=idempotency_key, description=description
        )
        return await self._timed("settle", call)

    async def release(self, hold: PaymentHold, *, idempotency_key: str) -> None:
        await self._timed("release", self.inner.release(hold, idempotency_key=idempotency_key))

    async def refund(
        self, payment_reference: str | None, *, amount_minor: int, currency: str, idempotency_key: str, reason: str
    ) -> Refund:
        call = self.inner.refund(
            payment_reference,
            amount_minor=amount_minor,
            currency=currency,
            idempotency_key=idempotency_key,
            reason=reason,
        )
        return await self._timed("refund", call)
