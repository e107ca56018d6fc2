"""Wire shapes of the payment endpoints (camelCase, Stripe's vocabulary)."""

from __future__ import annotations

from api.schema import AppStruct


class SetupIntentCreated(AppStruct):
    """What the app needs to collect a card with Stripe's SDK (PaymentSheet / Elements) and save it."""

    client_secret: str
    setup_intent_id: str
    publishable_key: str


class PaymentMethodOut(AppStruct):
    """A saved card as Stripe reports it; Voltway stores none of this."""

    id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    is_default: bool


class WebhookReceived(AppStruct):
    received: bool = True
    duplicate: bool = False
