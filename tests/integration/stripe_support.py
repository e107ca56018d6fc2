"""Helpers for the Stripe tests: what the mobile app does with Stripe's SDK, and signed webhook payloads."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import stripe

SECRET_KEY = "sk_test_voltway_payments"
PUBLISHABLE_KEY = "pk_test_voltway_payments"
WEBHOOK_SECRET = "whsec_test_voltway_payments"

VISA = "4242424242424242"
VISA_DEBIT = "4000056655665556"
CHARGE_DECLINED = "4000000000000341"  # saves fine, every charge is declined (Stripe's and localstripe's test card)


def stripe_settings(api_base: str) -> dict[str, str]:
    """Settings overrides that make the app take payments through Stripe at `api_base` with the test keys."""
    return {
        "payment_provider": "stripe",
        "stripe_secret_key": SECRET_KEY,
        "stripe_publishable_key": PUBLISHABLE_KEY,
        "stripe_webhook_secret": WEBHOOK_SECRET,
        "stripe_api_base": api_base,
    }


def stripe_environment(api_base: str) -> dict[str, str]:
    """The same settings as VOLTWAY_* variables, for `voltway serve` processes."""
    return {f"VOLTWAY_{name.upper()}": value for name, value in stripe_settings(api_base).items()}


def app_side_client(api_base: str) -> stripe.StripeClient:
    """The Stripe SDK as the driver's app uses it (here with the secret key: localstripe accepts no other)."""
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": api_base}, max_network_retries=0)


def confirm_setup_with_card(client: stripe.StripeClient, setup_intent_id: str, number: str = VISA) -> str:
    """Confirm a SetupIntent with a card number, as PaymentSheet does; returns the saved card's `pm_...` id.

    Stripe attaches the card to the SetupIntent's customer on confirmation; localstripe does not, so the card is
    attached explicitly as well.
    """
    method = client.v1.payment_methods.create(
        params={"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}}
    )
    intent = client.v1.setup_intents.confirm(setup_intent_id, params={"payment_method": method.id})
    assert intent.status == "succeeded", intent.status
    customer = client.v1.setup_intents.retrieve(setup_intent_id).customer
    assert isinstance(customer, str)
    client.v1.payment_methods.attach(method.id, params={"customer": customer})
    return method.id


async def add_card(
    client: httpx.AsyncClient, base: str, headers: dict[str, str], api_base: str, number: str = VISA
) -> dict[str, Any]:
    """What the driver's app does to pay by card: a SetupIntent from the API at `base`, confirmed with the card
    through Stripe's SDK, then the card made the default; returns the API's answer to the setup."""
    setup: dict[str, Any] = (await client.post(f"{base}/v1/me/payment-methods/setup", headers=headers)).json()
    method = confirm_setup_with_card(app_side_client(api_base), setup["setupIntentId"], number)
    made_default = await client.post(f"{base}/v1/me/payment-methods/{method}/default", headers=headers)
    assert made_default.status_code in (200, 204), made_default.text
    return setup


def captured_on(client: stripe.StripeClient, intent_id: str) -> int:
    """What Stripe holds as captured for a payment intent, less what was refunded, in minor units."""
    charge = client.v1.payment_intents.retrieve(intent_id).to_dict()["latest_charge"]
    if isinstance(charge, str):
        charge = client.v1.charges.retrieve(charge).to_dict()
    assert charge["captured"] is True
    return int(charge["amount"]) - int(charge.get("amount_refunded") or 0)


def save_card(client: stripe.StripeClient, customer: str, number: str = VISA) -> str:
    """A card saved for a customer through a SetupIntent, as the app would save it."""
    intent = client.v1.setup_intents.create(params={"customer": customer, "usage": "off_session"})
    return confirm_setup_with_card(client, intent.id, number)


def signed_event(
    event_type: str,
    obj: dict[str, Any],
    *,
    event_id: str,
    secret: str = WEBHOOK_SECRET,
    timestamp: int | None = None,
) -> tuple[bytes, str]:
    """A Stripe event payload and its `Stripe-Signature` header (t=...,v1=HMAC-SHA256(secret, "t.payload"))."""
    moment = int(time.time()) if timestamp is None else timestamp
    payload = json.dumps(
        {
            "id": event_id,
            "object": "event",
            "api_version": "2025-01-27.acacia",
            "created": moment,
            "livemode": False,
            "type": event_type,
            "data": {"object": obj},
        }
    ).encode()
    signature = hmac.new(secret.encode(), f"{moment}.".encode() + payload, hashlib.sha256).hexdigest()
    return payload, f"t={moment},v1={signature}"
