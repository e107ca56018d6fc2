"""What the payment provider itself holds about our payments, for reconciliation: the charges it captured and the
refunds it made, read back from the provider (never from our own records, which are what is being checked).

Disputes are not read here: Stripe reports them through webhook events, which Voltway stores as they arrive
(`payment_webhook_events`); the reconciliation reads them from there.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

import msgspec
import stripe

from api.domain.payments.errors import PaymentProviderUnavailable
from api.domain.payments.stripe_provider import StripeGateway

SESSION_PREFIX = "Charging session "  # how our payment descriptions name the session (see SessionBilling.bill)


class ProviderRefund(msgspec.Struct, frozen=True, kw_only=True):
    """A refund at the provider; `reason` is what was sent with it (our refunds carry "<reason code>: T-000123")."""

    id: str
    amount_minor: int
    currency: str
    created: datetime
    reason: str | None = None


class ProviderCharge(msgspec.Struct, frozen=True, kw_only=True):
    """A captured payment: `payment_reference` is its PaymentIntent (a session's `payment_reference`), and
    `session_hint` the first characters of the session id its description names, for charges made off-session."""

    id: str
    payment_reference: str | None
    amount_captured_minor: int
    currency: str
    created: datetime
    session_hint: str | None = None
    refunds: tuple[ProviderRefund, ...] = ()


class PaymentLedger(Protocol):
    """Reads the provider's captured charges (with their refunds) created in a time range."""

    name: str

    async def captured_charges(self, start: datetime, end: datetime) -> list[ProviderCharge]: ...


class NoLedger:
    """Without a payment provider nothing is captured in the app: there is nothing to read back."""

    name = "none"

    async def captured_charges(self, start: datetime, end: datetime) -> list[ProviderCharge]:
        return []


def _moment(value: object) -> datetime:
    return datetime.fromtimestamp(int(value), UTC) if isinstance(value, int) else datetime.now(UTC)


def _session_hint(charge: dict[str, Any]) -> str | None:
    """The session our description names, on the charge or its (expanded) PaymentIntent."""
    intent = charge.get("payment_intent")
    intent_metadata = (intent.get("metadata") or {}) if isinstance(intent, dict) else {}
    metadata = charge.get("metadata") or {}
    description = str(
        metadata.get("description") or intent_metadata.get("description") or charge.get("description") or ""
    )
    if not description.startswith(SESSION_PREFIX):
        return None
    hint = description[len(SESSION_PREFIX) :].split(":", 1)[0].strip().lower()
    return hint or None


def charge_from_stripe(charge: dict[str, Any], refunds: list[dict[str, Any]]) -> ProviderCharge | None:
    """A Stripe charge (documented JSON shape) with its refunds; None when nothing was captured on it.

    Stripe reports the captured part of a partly captured hold as `amount_captured`. A Stripe-compatible server that
    lacks that field (localstripe) releases the uncaptured rest as a refund with no PaymentIntent instead: that one
    lowers the captured amount and is not a refund."""
    if not charge.get("captured") or charge.get("status") != "succeeded":
        return None
    currency = str(charge.get("currency") or "").upper()
    captured = charge.get("amount_captured")
    kept: list[ProviderRefund] = []
    released = 0
    for refund in refunds:
        if refund.get("status") in ("failed", "canceled"):
            continue
        amount = int(refund.get("amount") or 0)
        if captured is None and not refund.get("payment_intent") and not (refund.get("metadata") or {}):
            released += amount
            continue
        reason = (refund.get("metadata") or {}).get("reason") or refund.get("reason")
        kept.append(
            ProviderRefund(
                id=str(refund["id"]),
                amount_minor=amount,
                currency=str(refund.get("currency") or currency).upper(),
                created=_moment(refund.get("created")),
                reason=str(reason) if reason else None,
            )
        )
    amount_captured = int(captured) if isinstance(captured, int) else int(charge.get("amount") or 0) - released
    if amount_captured <= 0:
        return None
    intent = charge.get("payment_intent")
    return ProviderCharge(
        id=str(charge["id"]),
        payment_reference=intent if isinstance(intent, str) else intent.get("id") if isinstance(intent, dict) else None,
        amount_captured_minor=amount_captured,
        currency=currency,
        created=_moment(charge.get("created")),
        session_hint=_session_hint(charge),
        refunds=tuple(sorted(kept, key=lambda item: item.created)),
    )


class StripeLedger:
    """Reads charges and refunds through the Stripe API (the real SDK, in worker threads)."""

    name = "stripe"

    def __init__(self, gateway: StripeGateway) -> None:
        self.gateway = gateway

    async def captured_charges(self, start: datetime, end: datetime) -> list[ProviderCharge]:
        found: list[ProviderCharge] = []
        try:
            for charge in await self.gateway.list_charges(created_after=int(start.timestamp()) - 1):
                if not int(start.timestamp()) <= int(charge.get("created") or 0) < end.timestamp():
                    continue
                refunds = await self.gateway.list_refunds(charge["id"]) if charge.get("amount_refunded") else []
                kept = charge_from_stripe(charge, refunds)
                if kept is not None:
                    found.append(kept)
        except stripe.StripeError as exc:  # a refused listing (the gateway already turned network errors into ours)
            raise PaymentProviderUnavailable(
                "The payment service did not list its payments; the reconciliation needs them. Try again in a moment."
            ) from exc
        return found
