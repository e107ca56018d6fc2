"""The `none` payment provider: the deployment bills outside the app, so no card is needed and nothing is held."""

from __future__ import annotations

from api.domain.payments.ports import Payer, PaymentHold, Settlement


class NoPaymentProvider:
    name = "none"

    @property
    def requires_payment_method(self) -> bool:
        return False

    async def has_usable_method(self, payer: Payer) -> bool:
        return True

    async def authorize(
        self, payer: Payer, *, amount_minor: int, currency: str, idempotency_key: str, description: str
    ) -> PaymentHold:
        return PaymentHold(status="not_required", amount_minor=0, currency=currency)

    async def settle(
        self, payer: Payer, hold: PaymentHold, *, amount_minor: int, idempotency_key: str, description: str
    ) -> Settlement:
        """Recorded as billed outside the app: the amount is what the operator invoices."""
        return Settlement(captured_minor=amount_minor)

    async def release(self, hold: PaymentHold, *, idempotency_key: str) -> None:
        return None
