"""Saved cards and Stripe webhooks through the app, on SQLite and PostgreSQL, with localstripe behind the provider."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.engine import create_engine, create_session_factory
from api.db.models import PaymentCustomer, PaymentWebhookEvent
from api.domain.payments.ports import PaymentEvent
from api.domain.payments.services import PaymentAccounts
from tests.integration.conftest import ClientFactory
from tests.integration.stripe_support import (
    PUBLISHABLE_KEY,
    VISA,
    VISA_DEBIT,
    app_side_client,
    confirm_setup_with_card,
    signed_event,
    stripe_settings,
)
from tests.integration.test_accounts import assert_problem, bearer, login, register

Client = AsyncTestClient[Litestar]


@pytest.fixture
async def stripe_app(client_factory: ClientFactory, localstripe_url: str) -> Client:
    return await client_factory(**stripe_settings(localstripe_url))


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the test database for the test's own event loop (the app runs on the test client's)."""
    engine = create_engine(database_url)
    yield create_session_factory(engine)
    await engine.dispose()


async def signed_in(client: Client, email: str) -> tuple[dict[str, str], uuid.UUID]:
    profile = await register(client, email=email)
    return bearer(await login(client, email=email)), uuid.UUID(profile["id"])


async def add_card(client: Client, headers: dict[str, str], api_base: str, number: str = VISA) -> str:
    setup = await client.post("/v1/me/payment-methods/setup", headers=headers)
    assert setup.status_code == 201, setup.text
    body = setup.json()
    assert body["publishableKey"] == PUBLISHABLE_KEY
    assert body["clientSecret"].startswith(body["setupIntentId"])
    return confirm_setup_with_card(app_side_client(api_base), body["setupIntentId"], number)


class RecordingSink:
    def __init__(self, fail_first: int = 0) -> None:
        self.events: list[PaymentEvent] = []
        self.fail_first = fail_first

    async def on_payment_event(self, event: PaymentEvent) -> None:
        if self.fail_first:
            self.fail_first -= 1
            raise RuntimeError("sink not ready")
        self.events.append(event)


async def test_cards_are_saved_listed_made_default_and_removed(
    stripe_app: Client, localstripe_url: str, db: async_sessionmaker[AsyncSession]
) -> None:
    headers, user_id = await signed_in(stripe_app, "dana@example.com")
    assert (await stripe_app.get("/v1/me/payment-methods", headers=headers)).json() == []

    first = await add_card(stripe_app, headers, localstripe_url, VISA)
    second = await add_card(stripe_app, headers, localstripe_url, VISA_DEBIT)
    listed = (await stripe_app.get("/v1/me/payment-methods", headers=headers)).json()
    assert {m["id"] for m in listed} == {first, second}
    assert sum(m["isDefault"] for m in listed) == 1
    card = next(m for m in listed if m["id"] == first)
    assert (card["brand"], card["last4"], card["expMonth"], card["expYear"]) == ("visa", "4242", 12, 2034)

    made = await stripe_app.post(f"/v1/me/payment-methods/{first}/default", headers=headers)
    assert made.status_code == 200, made.text
    assert made.json()["isDefault"] is True
    listed = (await stripe_app.get("/v1/me/payment-methods", headers=headers)).json()
    assert [m["id"] for m in listed if m["isDefault"]] == [first]

    # The charging side reads the driver's payer from the same service.
    accounts: PaymentAccounts = stripe_app.app.state.payment_accounts
    async with db() as session:
        payer = await accounts.payer(session, user_id)
    assert payer.customer_reference is not None
    assert payer.customer_reference.startswith("cus_")
    assert (payer.payment_method, payer.email) == (first, "dana@example.com")

    assert (await stripe_app.delete(f"/v1/me/payment-methods/{first}", headers=headers)).status_code == 204
    listed = (await stripe_app.get("/v1/me/payment-methods", headers=headers)).json()
    assert [(m["id"], m["isDefault"]) for m in listed] == [(second, True)]
    assert_problem(await stripe_app.delete(f"/v1/me/payment-methods/{first}", headers=headers), 404)


async def test_a_card_of_another_driver_is_not_found(stripe_app: Client, localstripe_url: str) -> None:
    dana, _ = await signed_in(stripe_app, "dana@example.com")
    eve, _ = await signed_in(stripe_app, "eve@example.com")
    danas_card = await add_card(stripe_app, dana, localstripe_url)
    assert_problem(await stripe_app.delete(f"/v1/me/payment-methods/{danas_card}", headers=eve), 404)
    assert_problem(await stripe_app.post(f"/v1/me/payment-methods/{danas_card}/default", headers=eve), 404)
    assert len((await stripe_app.get("/v1/me/payment-methods", headers=dana)).json()) == 1
    assert_problem(await stripe_app.get("/v1/me/payment-methods"), 401)


async def test_erasing_the_account_removes_the_customer_link(
    stripe_app: Client, localstripe_url: str, db: async_sessionmaker[AsyncSession]
) -> None:
    headers, user_id = await signed_in(stripe_app, "dana@example.com")
    await add_card(stripe_app, headers, localstripe_url)
    async with db() as session:
        assert await session.get(PaymentCustomer, user_id) is not None
    assert (await stripe_app.delete("/v1/me", headers=headers)).status_code == 204
    async with db() as session:
        assert await session.get(PaymentCustomer, user_id) is None


async def test_without_payments_in_the_app_the_card_endpoints_say_so(
    client: Client, db: async_sessionmaker[AsyncSession]
) -> None:
    headers, user_id = await signed_in(client, "dana@example.com")
    assert (await client.get("/health")).json()["payments"] == "none"
    assert (await client.get("/v1/me/payment-methods", headers=headers)).json() == []
    problem = assert_problem(await client.post("/v1/me/payment-methods/setup", headers=headers), 409)
    assert problem["type"] == "urn:voltway:problem:payments-outside-app"
    assert_problem(await client.delete("/v1/me/payment-methods/pm_123", headers=headers), 404)
    assert_problem(await client.post("/v1/me/payment-methods/pm_123/default", headers=headers), 404)
    payload, signature = signed_event("payment_intent.succeeded", {"id": "pi_1"}, event_id="evt_none")
    assert_problem(await client.post("/webhooks/stripe", content=payload, headers={"Stripe-Signature": signature}), 404)
    async with db() as session:
        payer = await client.app.state.payment_accounts.payer(session, user_id)
    assert payer.customer_reference is None
    assert not client.app.state.payments.requires_payment_method


def intent(**fields: Any) -> dict[str, Any]:
    return {"object": "payment_intent", "id": "pi_test_1", "amount": 5000, "currency": "eur", **fields}


async def post_event(client: Client, payload: bytes, signature: str | None) -> Any:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return await client.post("/webhooks/stripe", content=payload, headers=headers)


async def test_signed_webhook_events_reach_the_sink_once(
    stripe_app: Client, db: async_sessionmaker[AsyncSession]
) -> None:
    sink = RecordingSink()
    unsubscribe = stripe_app.app.state.payment_events.subscribe(sink)
    payload, signature = signed_event(
        "payment_intent.succeeded", intent(status="succeeded", amount_received=1234), event_id="evt_succeeded_1"
    )
    first = await post_event(stripe_app, payload, signature)
    assert first.status_code == 200, first.text
    assert first.json() == {"received": True, "duplicate": False}
    again = await post_event(stripe_app, payload, signature)
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert sink.events == [
        PaymentEvent(
            event_id="evt_succeeded_1",
            type="payment_intent.succeeded",
            reference="pi_test_1",
            amount_minor=1234,
            currency="EUR",
        )
    ]
    async with db() as session:
        stored = (await session.execute(select(PaymentWebhookEvent))).scalars().all()
    assert [(e.event_id, e.type, e.reference, e.amount_minor) for e in stored] == [
        ("evt_succeeded_1", "payment_intent.succeeded", "pi_test_1", 1234)
    ]
    assert stored[0].handled_at is not None
    assert stored[0].summary["status"] == "succeeded"
    unsubscribe()


async def test_refunds_disputes_and_other_payment_intent_events(
    stripe_app: Client, db: async_sessionmaker[AsyncSession]
) -> None:
    sink = RecordingSink()
    stripe_app.app.state.payment_events.subscribe(sink)
    events = [
        ("payment_intent.amount_capturable_updated", intent(amount_capturable=5000, status="requires_capture")),
        ("payment_intent.canceled", intent(status="canceled")),
        (
            "payment_intent.payment_failed",
            intent(status="requires_payment_method", last_payment_error={"code": "card_declined"}),
        ),
        (
            "charge.refunded",
            {
                "object": "charge",
                "id": "ch_1",
                "payment_intent": "pi_test_1",
                "amount_refunded": 300,
                "currency": "eur",
            },
        ),
        (
            "charge.dispute.created",
            {"object": "dispute", "id": "dp_1", "payment_intent": "pi_test_1", "amount": 1234, "currency": "eur"},
        ),
        ("customer.created", {"object": "customer", "id": "cus_1", "email": "dana@example.com"}),
    ]
    for n, (kind, obj) in enumerate(events):
        payload, signature = signed_event(kind, obj, event_id=f"evt_kind_{n}")
        assert (await post_event(stripe_app, payload, signature)).status_code == 200
    assert [(e.type, e.reference, e.amount_minor) for e in sink.events] == [
        ("payment_intent.amount_capturable_updated", "pi_test_1", 5000),
        ("payment_intent.canceled", "pi_test_1", 5000),
        ("payment_intent.payment_failed", "pi_test_1", 5000),
        ("charge.refunded", "pi_test_1", 300),
        ("charge.dispute.created", "pi_test_1", 1234),
    ]
    async with db() as session:
        customer_event = await session.get(PaymentWebhookEvent, "evt_kind_5")
    assert customer_event is not None  # stored for support, not dispatched, and without the email
    assert "dana@example.com" not in str(customer_event.summary)


async def test_bad_missing_or_stale_signatures_are_refused(stripe_app: Client) -> None:
    sink = RecordingSink()
    stripe_app.app.state.payment_events.subscribe(sink)
    payload, signature = signed_event("payment_intent.succeeded", intent(), event_id="evt_bad")
    problem = assert_problem(await post_event(stripe_app, payload, None), 422)
    assert "Stripe-Signature" in problem["detail"]
    assert problem["errors"] == [{"field": "Stripe-Signature", "message": "the header is missing", "source": "header"}]
    _, wrong = signed_event("payment_intent.succeeded", intent(), event_id="evt_bad", secret="whsec_someone_else")
    assert_problem(await post_event(stripe_app, payload, wrong), 422)
    assert_problem(await post_event(stripe_app, payload + b" ", signature), 422)
    stale_payload, stale = signed_event("payment_intent.succeeded", intent(), event_id="evt_old", timestamp=1_000_000)
    assert_problem(await post_event(stripe_app, stale_payload, stale), 422)
    assert sink.events == []


async def test_an_event_whose_sink_failed_is_handled_on_stripes_retry(stripe_app: Client) -> None:
    sink = RecordingSink(fail_first=1)
    stripe_app.app.state.payment_events.subscribe(sink)
    payload, signature = signed_event("payment_intent.succeeded", intent(status="succeeded"), event_id="evt_retry")
    assert (await post_event(stripe_app, payload, signature)).status_code == 500
    retried = await post_event(stripe_app, payload, signature)
    assert retried.status_code == 200
    assert retried.json()["duplicate"] is False
    assert [e.event_id for e in sink.events] == ["evt_retry"]
    assert (await post_event(stripe_app, payload, signature)).json()["duplicate"] is True
