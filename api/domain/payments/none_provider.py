"""The `none` payment provider: for deployments (and the demo) that bill drivers outside the app.

Sessions start without a card, no money moves through Voltway, and a settlement captures nothing: the amount due is
billed elsewhere (an invoice, a fleet contract, a roaming partner), so receipts show what is owed as billed outside
the app.
"""

from __future__ import annotations

from api.domain.payments.ports import Payer, PaymentHold, Refund, Settlement


class NonePaymentProvider:
    """Implements `PaymentProvider` without a payment service."""

    name = "none"

    @property
    def requires_payment_method(self) -> bool:
        return False

    async def has_usable_method(self, payer: Payer) -> bool:
        """Every driver may charge: billing happens outside the app."""
        return True

    async def authorize(
        self, payer: Payer, *, amount_minor: int, currency: str, idempotency_key: str, description: str
    ) -> PaymentHold:
        return PaymentHold(status="not_required", amount_minor=0, currency=currency.upper())

    async def settle(
        self, payer: Payer, hold: PaymentHold, *, amount_minor: int, idempotency_key: str, description: str
    ) -> Settlement:
        """The whole amount is billed outside the app: nothing is captured here, nothing is owed as debt."""
        return Settlement(captured_minor=0, released=amount_minor == 0)

    async def release(self, hold: PaymentHold, *, idempotency_key: str) -> None:
        return None

    async def refund(
        self, payment_reference: str | None, *, amount_minor: int, currency: str, idempotency_key: str, reason: str
    ) -> Refund:
        """Nothing was paid through the app: the bill billed elsewhere is lowered, which the receipt shows."""
        return Refund(status="recorded", amount_minor=amount_minor)
