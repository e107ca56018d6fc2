"""What charging sessions need from a payment provider, as a Protocol with a Stripe and a `none` implementation.

Amounts are integers in the currency's minor unit (what `pricing` rounds `amount_due` to, converted with the
ISO 4217 exponent). Every call that moves money takes an idempotency key, so a retried call never charges twice.
Card data never reaches Voltway: the app hands the card to the provider and Voltway only sees references.
"""

from __future__ import annotations

import uuid
from typing import Literal, Protocol

import msgspec

HoldStatus = Literal["authorized", "declined", "not_required"]


class Payer(msgspec.Struct, frozen=True, kw_only=True):
    """Who pays: a driver with an account (provider customer) or a guest with a one-off payment method."""

    user_id: uuid.UUID | None = None
    email: str | None = None
    customer_reference: str | None = None  # the provider's customer id (Stripe `cus_...`), None for guests
    payment_method: str | None = None  # a provider payment method (`pm_...`); None -> the customer's default


class PaymentHold(msgspec.Struct, frozen=True, kw_only=True):
    """A pre-authorisation (Stripe PaymentIntent with capture_method=manual) or the answer that none is needed."""

    status: HoldStatus
    reference: str = ""  # PaymentIntent id; empty for `not_required`
    amount_minor: int = 0
    currency: str = "EUR"
    decline_code: str | None = None  # the provider's code, e.g. "insufficient_funds"
    decline_reason: str | None = None  # in words, for the driver


class Settlement(msgspec.Struct, frozen=True, kw_only=True):
    """What was taken for a session: captured on the hold, plus any off-session charge or debt."""

    captured_minor: int
    extra_charged_minor: int = 0
    extra_reference: str | None = None
    debt_minor: int = 0  # what could not be collected and is owed
    released: bool = False  # the hold was cancelled (nothing due)


class Refund(msgspec.Struct, frozen=True, kw_only=True):
    """Money given back on a settled payment, or (without a provider) only recorded as an adjustment of the bill.

    `status`: succeeded, pending (the provider is still processing it), failed, or recorded (nothing moved through a
    provider: the `none` provider). `reference` is the provider's refund id (Stripe `re_...`)."""

    status: Literal["succeeded", "pending", "failed", "recorded"]
    amount_minor: int
    reference: str | None = None
    failure_reason: str | None = None


class PaymentProvider(Protocol):
    """A payment service. `name` is shown in the README and `/v1/system` ("stripe" or "none")."""

    name: str

    @property
    def requires_payment_method(self) -> bool:
        """False for `none`: sessions start without a card and nothing is charged in the app."""
        ...

    async def has_usable_method(self, payer: Payer) -> bool: ...

    async def authorize(
        self, payer: Payer, *, amount_minor: int, currency: str, idempotency_key: str, description: str
    ) -> PaymentHold:
        """Place a hold; a declined card is a `declined` hold with its reason, not an exception."""
        ...

    async def settle(
        self, payer: Payer, hold: PaymentHold, *, amount_minor: int, idempotency_key: str, description: str
    ) -> Settlement:
        """Take `amount_minor`: capture up to the hold, charge the rest off-session (or record it as debt);
        zero cancels the hold."""
        ...

    async def release(self, hold: PaymentHold, *, idempotency_key: str) -> None:
        """Cancel a hold that will not be captured (failed start)."""
        ...

    async def refund(
        self, payment_reference: str | None, *, amount_minor: int, currency: str, idempotency_key: str, reason: str
    ) -> Refund:
        """Give back `amount_minor` of what was captured on `payment_reference` (the session's PaymentIntent); the
        same idempotency key never refunds twice. Without a payment at the provider, nothing moves (`recorded`)."""
        ...


class PaymentEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A verified, de-duplicated provider webhook event that concerns a payment of ours."""

    event_id: str
    type: str  # e.g. "payment_intent.succeeded", "charge.refunded", "charge.dispute.created"
    reference: str | None  # the PaymentIntent id it concerns
    amount_minor: int | None = None
    currency: str | None = None


class PaymentEventSink(Protocol):
    """Receives webhook events after verification and de-duplication (sessions update their payment state)."""

    async def on_payment_event(self, event: PaymentEvent) -> None: ...
