"""The Stripe provider with the real Stripe SDK against localstripe: holds, captures, top-ups, releases, declines."""

from __future__ import annotations

import uuid

import pytest
import stripe

from api.domain.payments.errors import PaymentProviderUnavailable
from api.domain.payments.ports import Payer, PaymentHold
from api.domain.payments.stripe_provider import StripeGateway, StripePaymentProvider
from tests.integration.stripe_support import CHARGE_DECLINED, SECRET_KEY, VISA, VISA_DEBIT, app_side_client, save_card
from tests.support import free_port


@pytest.fixture(scope="module")
def stripe_client(localstripe_url: str) -> stripe.StripeClient:
    return app_side_client(localstripe_url)


@pytest.fixture(scope="module")
def provider(localstripe_url: str) -> StripePaymentProvider:
    return StripePaymentProvider(StripeGateway(SECRET_KEY, api_base=localstripe_url, max_network_retries=0))


async def new_payer(provider: StripePaymentProvider, stripe_client: stripe.StripeClient, *cards: str) -> Payer:
    user_id = uuid.uuid4()
    customer = await provider.gateway.create_customer(email=f"{user_id}@example.com", name="Dana", user_id=str(user_id))
    for number in cards:
        save_card(stripe_client, customer, number)
    return Payer(user_id=user_id, email=f"{user_id}@example.com", customer_reference=customer)


def captured_on(stripe_client: stripe.StripeClient, intent_id: str) -> int:
    """What the card was finally charged for a PaymentIntent: the charge less what went back to the card."""
    charge = stripe_client.v1.payment_intents.retrieve(intent_id).to_dict()["latest_charge"]
    if isinstance(charge, str):
        charge = stripe_client.v1.charges.retrieve(charge).to_dict()
    assert charge["captured"] is True
    return int(charge["amount"]) - int(charge.get("amount_refunded") or 0)


def intent_status(stripe_client: stripe.StripeClient, intent_id: str) -> str:
    return str(stripe_client.v1.payment_intents.retrieve(intent_id).status)


async def test_hold_then_capture_less_than_the_hold(
    provider: StripePaymentProvider, stripe_client: stripe.StripeClient
) -> None:
    payer = await new_payer(provider, stripe_client, VISA)
    assert await provider.has_usable_method(payer)
    hold = await provider.authorize(
        payer, amount_minor=5000, currency="eur", idempotency_key=str(uuid.uuid4()), description="Session at CP-1"
    )
    assert (hold.status, hold.amount_minor, hold.currency) == ("authorized", 5000, "EUR")
    assert hold.reference.startswith("pi_")
    assert intent_status(stripe_client, hold.reference) == "requires_capture"

    settlement = await provider.settle(
        payer, hold, amount_minor=1234, idempotency_key=str(uuid.uuid4()), description="Session at CP-1"
    )
    assert (settlement.captured_minor, settlement.extra_charged_minor, settlement.debt_minor) == (1234, 0, 0)
    assert not settlement.released
    assert intent_status(stripe_client, hold.reference) == "succeeded"
    assert captured_on(stripe_client, hold.reference) == 1234


async def test_amount_above_the_hold_is_captured_then_charged_off_session(
    provider: StripePaymentProvider, stripe_client: stripe.StripeClient
) -> None:
    payer = await new_payer(provider, stripe_client, VISA)
    hold = await provider.authorize(
        payer, amount_minor=2000, currency="EUR", idempotency_key=str(uuid.uuid4()), description="Long session"
    )
    settlement = await provider.settle(
        payer, hold, amount_minor=2650, idempotency_key=str(uuid.uuid4()), description="Long session"
    )
    assert (settlement.captured_minor, settlement.extra_charged_minor, settlement.debt_minor) == (2000, 650, 0)
    assert settlement.extra_reference is not None
    assert captured_on(stripe_client, hold.reference) == 2000
    assert captured_on(stripe_client, settlement.extra_reference) == 650


async def test_rest_that_cannot_be_charged_is_recorded_as_debt(
    provider: StripePaymentProvider, stripe_client: stripe.StripeClient
) -> None:
    payer = await new_payer(provider, stripe_client, VISA)
    hold = await provider.authorize(
        payer, amount_minor=1000, currency="EUR", idempotency_key=str(uuid.uuid4()), description="Session"
    )
    # Between the start and the end of the session the driver's default became a card that is declined.
    declining = save_card(stripe_client, payer.customer_reference or "", CHARGE_DECLINED)
    payer_now = Payer(user_id=payer.user_id, customer_reference=payer.customer_reference, payment_method=declining)
    settlement = await provider.settle(
        payer_now, hold, amount_minor=1500, idempotency_key=str(uuid.uuid4()), description="Session"
    )
    assert (settlement.captured_minor, settlement.extra_charged_minor, settlement.debt_minor) == (1000, 0, 500)
    assert settlement.extra_reference is None


async def test_nothing_due_cancels_the_hold(
    provider: StripePaymentProvider, stripe_client: stripe.StripeClient
) -> None:
    payer = await new_payer(provider, stripe_client, VISA)
    hold = await provider.authorize(
        payer, amount_minor=3000, currency="EUR", idempotency_key=str(uuid.uuid4()), description="Session"
    )
    settlement = await provider.settle(payer, hold, amount_minor=0, idempotency_key=str(uuid.uuid4()), description="")
    assert settlement.released
    assert settlement.captured_minor == 0
    assert intent_status(stripe_client, hold.reference) == "canceled"


async def test_release_is_safe_to_repeat(provider: StripePaymentProvider, stripe_client: stripe.StripeClient) -> None:
    payer = await new_payer(provider, stripe_client, VISA)
    hold = await provider.authorize(
        payer, amount_minor=3000, currency="EUR", idempotency_key=str(uuid.uuid4()), description="Failed start"
    )
    await provider.release(hold, idempotency_key="release-1")
    await provider.release(hold, idempotency_key="release-2")
    assert intent_status(stripe_client, hold.reference) == "canceled"
    await provider.release(PaymentHold(status="declined"), idempotency_key="nothing-to-release")


async def test_declined_card_gives_a_declined_hold_with_a_reason(
    provider: StripePaymentProvider, stripe_client: stripe.StripeClient
) -> None:
    payer = await new_payer(provider, stripe_client, CHARGE_DECLINED)
    hold = await provider.authorize(
        payer, amount_minor=5000, currency="EUR", idempotency_key=str(uuid.uuid4()), description="Session"
    )
    assert hold.status == "declined"
    assert hold.decline_code == "card_declined"
    assert hold.decline_reason is not None
    assert "declined" in hold.decline_reason


async def test_without_a_card_there_is_no_hold(
    provider: StripePaymentProvider, stripe_client: stripe.StripeClient
) -> None:
    payer = await new_payer(provider, stripe_client)
    assert not await provider.has_usable_method(payer)
    hold = await provider.authorize(
        payer, amount_minor=5000, currency="EUR", idempotency_key=str(uuid.uuid4()), description="Session"
    )
    assert (hold.status, hold.decline_code) == ("declined", "no_payment_method")
    assert hold.decline_reason == "No card is saved for this account; add one in the app."
    assert not await provider.has_usable_method(Payer(email="guest@example.com"))


async def test_the_default_card_is_charged(provider: StripePaymentProvider, stripe_client: stripe.StripeClient) -> None:
    payer = await new_payer(provider, stripe_client, VISA, VISA_DEBIT)
    cards, default = await provider.gateway.cards_and_default(payer.customer_reference or "")
    assert len(cards) == 2
    older = next(card["id"] for card in cards if card["id"] != default)
    await provider.gateway.set_default_payment_method(payer.customer_reference or "", older)
    hold = await provider.authorize(
        payer, amount_minor=700, currency="EUR", idempotency_key=str(uuid.uuid4()), description="Session"
    )
    assert stripe_client.v1.payment_intents.retrieve(hold.reference).payment_method == older


async def test_guest_with_a_one_off_card(provider: StripePaymentProvider) -> None:
    guest = Payer(email="guest@example.com", payment_method="pm_card_visa")
    assert await provider.has_usable_method(guest)
    hold = await provider.authorize(
        guest, amount_minor=2500, currency="EUR", idempotency_key=str(uuid.uuid4()), description="Guest session"
    )
    assert hold.status == "authorized"
    settlement = await provider.settle(
        guest, hold, amount_minor=2500, idempotency_key=str(uuid.uuid4()), description=""
    )
    assert settlement.captured_minor == 2500


async def test_unreachable_stripe_is_a_clear_error() -> None:
    offline = StripePaymentProvider(
        StripeGateway(SECRET_KEY, api_base=f"http://127.0.0.1:{free_port()}", max_network_retries=0)
    )
    with pytest.raises(PaymentProviderUnavailable):
        await offline.authorize(
            Payer(customer_reference="cus_offline"),
            amount_minor=100,
            currency="EUR",
            idempotency_key="k",
            description="",
        )
