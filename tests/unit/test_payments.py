"""Payment settings, the `none` provider, decline wording and webhook event reading: no I/O."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from api.domain.payments.events import PaymentEvents, is_dispatched, payment_event_from_stripe, summary_of
from api.domain.payments.metered import MeteredPaymentProvider
from api.domain.payments.none_provider import NonePaymentProvider
from api.domain.payments.ports import Payer, PaymentEvent, PaymentHold, Refund, Settlement
from api.domain.payments.stripe_provider import card_is_current, decline_reason
from api.services import build_payments
from api.settings import SettingsError, load_settings
from tests.support import make_settings

KEY = "k" * 40


def test_payments_default_to_none(tmp_path: Path) -> None:
    settings = load_settings({"VOLTWAY_DATA_DIR": str(tmp_path), "VOLTWAY_SECRET_KEY": KEY})
    assert settings.payment_provider == "none"
    assert settings.stripe_api_base == "https://api.stripe.com"
    provider, _, _, _ = build_payments(settings)
    assert provider.name == "none"


def test_stripe_settings_are_read(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "VOLTWAY_DATA_DIR": str(tmp_path),
            "VOLTWAY_SECRET_KEY": KEY,
            "VOLTWAY_PAYMENT_PROVIDER": " Stripe ",
            "VOLTWAY_STRIPE_SECRET_KEY": "sk_test_123",
            "VOLTWAY_STRIPE_PUBLISHABLE_KEY": "pk_test_123",
            "VOLTWAY_STRIPE_WEBHOOK_SECRET": "whsec_123",
            "VOLTWAY_STRIPE_API_BASE": "http://127.0.0.1:8420/",
        }
    )
    assert settings.payment_provider == "stripe"
    assert (settings.stripe_secret_key, settings.stripe_publishable_key) == ("sk_test_123", "pk_test_123")
    assert settings.stripe_webhook_secret == "whsec_123"
    assert settings.stripe_api_base == "http://127.0.0.1:8420"
    provider, _, _, _ = build_payments(settings)
    assert provider.name == "stripe"
    assert provider.requires_payment_method


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"VOLTWAY_PAYMENT_PROVIDER": "paypal"}, "VOLTWAY_PAYMENT_PROVIDER must be none or stripe"),
        ({"VOLTWAY_PAYMENT_PROVIDER": "stripe"}, "VOLTWAY_STRIPE_SECRET_KEY must be set"),
        (
            {"VOLTWAY_PAYMENT_PROVIDER": "stripe", "VOLTWAY_STRIPE_SECRET_KEY": "pk_live_oops"},
            "VOLTWAY_STRIPE_SECRET_KEY must be a Stripe secret key",
        ),
        (
            {
                "VOLTWAY_PAYMENT_PROVIDER": "stripe",
                "VOLTWAY_STRIPE_SECRET_KEY": "sk_test_1",
                "VOLTWAY_STRIPE_PUBLISHABLE_KEY": "sk_test_1",
            },
            "VOLTWAY_STRIPE_PUBLISHABLE_KEY must be a Stripe publishable key",
        ),
        ({"VOLTWAY_STRIPE_API_BASE": "api.stripe.com"}, "VOLTWAY_STRIPE_API_BASE must be an http(s) address"),
    ],
)
def test_bad_payment_settings_refuse_to_start(tmp_path: Path, extra: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_settings({"VOLTWAY_DATA_DIR": str(tmp_path), "VOLTWAY_SECRET_KEY": KEY, **extra})


def test_services_refuse_stripe_without_a_key_too() -> None:
    with pytest.raises(SettingsError, match="VOLTWAY_STRIPE_SECRET_KEY"):
        build_payments(make_settings(payment_provider="stripe"))


def test_a_missing_webhook_secret_is_warned_about(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        load_settings(
            {
                "VOLTWAY_DATA_DIR": str(tmp_path),
                "VOLTWAY_SECRET_KEY": KEY,
                "VOLTWAY_PAYMENT_PROVIDER": "stripe",
                "VOLTWAY_STRIPE_SECRET_KEY": "sk_test_1",
            }
        )
    assert "VOLTWAY_STRIPE_WEBHOOK_SECRET" in caplog.text


async def test_none_provider_bills_outside_the_app() -> None:
    provider = NonePaymentProvider()
    payer = Payer(email="dana@example.com")
    assert not provider.requires_payment_method
    assert await provider.has_usable_method(payer)
    hold = await provider.authorize(payer, amount_minor=5000, currency="eur", idempotency_key="k", description="")
    assert hold == PaymentHold(status="not_required", amount_minor=0, currency="EUR")
    # nothing is taken in the app: the amount is billed outside it
    assert await provider.settle(payer, hold, amount_minor=1234, idempotency_key="k", description="") == Settlement(
        captured_minor=0
    )
    assert (await provider.settle(payer, hold, amount_minor=0, idempotency_key="k", description="")).released
    await provider.release(hold, idempotency_key="k")


async def test_none_provider_records_a_refund_as_an_adjustment_and_the_call_is_counted() -> None:
    from prometheus_client import REGISTRY

    provider = MeteredPaymentProvider(NonePaymentProvider())
    before = REGISTRY.get_sample_value(
        "voltway_payment_calls_total", {"provider": "none", "operation": "refund", "outcome": "ok"}
    )
    refund = await provider.refund(None, amount_minor=250, currency="EUR", idempotency_key="r", reason="goodwill")
    # nothing moves through a provider: the bill paid outside the app is lowered, which the receipt shows
    assert refund == Refund(status="recorded", amount_minor=250)
    after = REGISTRY.get_sample_value(
        "voltway_payment_calls_total", {"provider": "none", "operation": "refund", "outcome": "ok"}
    )
    assert (after or 0) == (before or 0) + 1


def test_decline_reasons_are_words() -> None:
    assert decline_reason("insufficient_funds") == "The card has insufficient funds."
    assert decline_reason(None) == decline_reason("card_declined") == decline_reason("unheard_of")
    assert "stolen" not in decline_reason("stolen_card")


def test_a_card_is_current_until_the_end_of_its_expiry_month() -> None:
    now = datetime(2026, 11, 27, tzinfo=UTC)
    assert card_is_current({"exp_month": 11, "exp_year": 2026}, now)
    assert not card_is_current({"exp_month": 10, "exp_year": 2026}, now)
    assert card_is_current({"exp_month": 1, "exp_year": 2030}, now)


def test_stripe_events_are_read_into_payment_events() -> None:
    event = {
        "id": "evt_1",
        "type": "payment_intent.succeeded",
        "livemode": False,
        "data": {
            "object": {
                "id": "pi_1",
                "amount": 5000,
                "amount_received": 1234,
                "currency": "eur",
                "receipt_email": "dana@example.com",
                "payment_method_details": {"card": {"last4": "4242"}},
            }
        },
    }
    assert payment_event_from_stripe(event) == PaymentEvent(
        event_id="evt_1", type="payment_intent.succeeded", reference="pi_1", amount_minor=1234, currency="EUR"
    )
    summary = summary_of(event)
    assert summary["amount_received"] == 1234
    assert "dana@example.com" not in str(summary)
    assert "4242" not in str(summary)
    assert is_dispatched("payment_intent.canceled")
    assert is_dispatched("charge.dispute.created")
    assert not is_dispatched("customer.updated")


async def test_dispatcher_subscribe_and_unsubscribe() -> None:
    received: list[str] = []

    class Sink:
        async def on_payment_event(self, event: PaymentEvent) -> None:
            received.append(event.event_id)

    events = PaymentEvents()
    unsubscribe = events.subscribe(Sink())
    await events.on_payment_event(PaymentEvent(event_id="evt_a", type="charge.refunded", reference="pi_1"))
    unsubscribe()
    await events.on_payment_event(PaymentEvent(event_id="evt_b", type="charge.refunded", reference="pi_1"))
    assert received == ["evt_a"]
