"""Stripe behaviour localstripe does not have, against `FakeStripe`: a hand-written HTTP server in tests only.

localstripe ignores idempotency keys, reports every decline as `card_declined` without a `decline_code`, and cannot
make a hold lapse or lose a capture's answer. `FakeStripe` answers those paths with responses in Stripe's
documented shapes (PaymentIntent objects, `card_error` / `invalid_request_error` bodies) so the real SDK and our
provider run unchanged against it.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest

from api.domain.payments.ports import Payer
from api.domain.payments.stripe_provider import StripeGateway, StripePaymentProvider

SECRET_KEY = "sk_test_fake"


class FakeStripe:
    """A fake Stripe API: PaymentIntents that replay answers per idempotency key, with scripted failures."""

    def __init__(self) -> None:
        self.intents: dict[str, dict[str, Any]] = {}
        self.replies: dict[str, tuple[int, dict[str, Any]]] = {}  # idempotency key -> first answer
        self.requests: list[tuple[str, str, str | None, dict[str, list[str]]]] = []
        self.decline: dict[str, Any] | None = None  # the `error` object for card_error answers on create
        self.capture_fails_with_status: str | None = None  # the intent's status after a refused capture
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def handle(self, method: str, path: str, key: str | None, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests.append((method, path, key, form))
            if key is not None and key in self.replies:
                return self.replies[key]
            reply = self._answer(method, path, form)
            if key is not None:
                self.replies[key] = reply
            return reply

    def _answer(self, method: str, path: str, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        parts = path.strip("/").split("/")
        if method == "POST" and parts == ["v1", "payment_intents"]:
            return self._create(form)
        if method == "GET" and parts[:2] == ["v1", "payment_intents"] and len(parts) == 3:
            return 200, self.intents[parts[2]]
        if method == "POST" and parts[:2] == ["v1", "payment_intents"] and len(parts) == 4:
            intent = self.intents[parts[2]]
            if parts[3] == "capture":
                if self.capture_fails_with_status is not None:
                    intent["status"] = self.capture_fails_with_status
                    return 400, {
                        "error": {
                            "type": "invalid_request_error",
                            "code": "payment_intent_unexpected_state",
                            "message": f"This PaymentIntent's status is {intent['status']}.",
                        }
                    }
                amount = int(form["amount_to_capture"][0])
                intent.update(status="succeeded", amount_received=amount, amount_capturable=0)
                return 200, intent
            if parts[3] == "cancel":
                intent.update(status="canceled", amount_capturable=0, cancellation_reason="requested_by_customer")
                return 200, intent
        return 404, {"error": {"type": "invalid_request_error", "message": f"Unrecognized request URL ({path})"}}

    def _create(self, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        intent_id = f"pi_fake_{next(self._ids)}"
        amount = int(form["amount"][0])
        manual = form.get("capture_method") == ["manual"]
        intent: dict[str, Any] = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": amount,
            "currency": form["currency"][0],
            "capture_method": "manual" if manual else "automatic",
            "customer": form["customer"][0] if "customer" in form else None,
            "payment_method": form["payment_method"][0],
            "status": "requires_capture" if manual else "succeeded",
            "amount_capturable": amount if manual else 0,
            "amount_received": 0 if manual else amount,
            "latest_charge": f"ch_fake_{intent_id}",
        }
        if self.decline is not None:
            intent.update(status="requires_payment_method", amount_capturable=0, last_payment_error=self.decline)
            self.intents[intent_id] = intent
            return 402, {"error": {**self.decline, "type": "card_error", "payment_intent": intent}}
        self.intents[intent_id] = intent
        return 200, intent

    def money_requests(self) -> list[tuple[str, str | None]]:
        return [(path, key) for method, path, key, _ in self.requests if method == "POST"]


@pytest.fixture
def fake_stripe() -> Iterator[tuple[FakeStripe, str]]:
    fake = FakeStripe()

    class Handler(BaseHTTPRequestHandler):
        def _reply(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            path, _, query = self.path.partition("?")
            form = parse_qs(body or query)
            status, payload = fake.handle(method, path, self.headers.get("Idempotency-Key"), form)
            encoded = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(encoded)))
            self.end_headers()
            self.wfile.write(encoded)

        def do_GET(self) -> None:
            self._reply("GET")

        def do_POST(self) -> None:
            self._reply("POST")

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class names it so)
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def provider_for(base: str) -> StripePaymentProvider:
    return StripePaymentProvider(StripeGateway(SECRET_KEY, api_base=base, max_network_retries=0))


PAYER = Payer(customer_reference="cus_fake", payment_method="pm_fake_visa")


async def test_every_money_call_carries_an_idempotency_key_and_a_retry_charges_once(
    fake_stripe: tuple[FakeStripe, str],
) -> None:
    fake, base = fake_stripe
    provider = provider_for(base)
    hold = await provider.authorize(PAYER, amount_minor=4000, currency="EUR", idempotency_key="start-1", description="")
    retried = await provider.authorize(
        PAYER, amount_minor=4000, currency="EUR", idempotency_key="start-1", description=""
    )
    assert retried.reference == hold.reference
    assert len(fake.intents) == 1

    settled = await provider.settle(PAYER, hold, amount_minor=4600, idempotency_key="bill-1", description="")
    again = await provider.settle(PAYER, hold, amount_minor=4600, idempotency_key="bill-1", description="")
    assert settled == again
    assert (settled.captured_minor, settled.extra_charged_minor) == (4000, 600)
    assert len(fake.intents) == 2  # the hold and one top-up, not two

    requests = fake.money_requests()
    assert all(key for _, key in requests), requests
    assert {key for _, key in requests} == {"start-1:hold", "bill-1:capture", "bill-1:rest"}


@pytest.mark.parametrize(
    ("decline_code", "words"),
    [
        ("insufficient_funds", "The card has insufficient funds."),
        ("expired_card", "The card has expired; add a current card."),
        ("incorrect_cvc", "The card's security code (CVC) is wrong; add the card again."),
        ("processing_error", "The card could not be processed; try again in a moment."),
        ("lost_card", "The card was declined by its bank; try another card or ask the bank why."),
        ("stolen_card", "The card was declined by its bank; try another card or ask the bank why."),
        (
            "authentication_required",
            "The bank wants you to confirm this payment; confirm it in the app or use another card.",
        ),
        ("something_new", "The card was declined by its bank; try another card or ask the bank why."),
    ],
)
async def test_decline_codes_are_explained_in_words(
    fake_stripe: tuple[FakeStripe, str], decline_code: str, words: str
) -> None:
    fake, base = fake_stripe
    fake.decline = {"code": "card_declined", "decline_code": decline_code, "message": "Your card was declined."}
    hold = await provider_for(base).authorize(
        PAYER, amount_minor=4000, currency="EUR", idempotency_key="start-2", description=""
    )
    assert (hold.status, hold.decline_code, hold.decline_reason) == ("declined", decline_code, words)
    assert hold.reference.startswith("pi_fake_")


async def test_a_lapsed_hold_is_charged_off_session_instead(fake_stripe: tuple[FakeStripe, str]) -> None:
    fake, base = fake_stripe
    provider = provider_for(base)
    hold = await provider.authorize(PAYER, amount_minor=4000, currency="EUR", idempotency_key="start-3", description="")
    fake.capture_fails_with_status = "canceled"  # Stripe cancels holds that were not captured within 7 days
    settled = await provider.settle(PAYER, hold, amount_minor=2500, idempotency_key="bill-3", description="")
    assert (settled.captured_minor, settled.extra_charged_minor, settled.debt_minor) == (0, 2500, 0)


async def test_a_capture_whose_answer_was_lost_is_not_repeated(fake_stripe: tuple[FakeStripe, str]) -> None:
    fake, base = fake_stripe
    provider = provider_for(base)
    hold = await provider.authorize(PAYER, amount_minor=4000, currency="EUR", idempotency_key="start-4", description="")
    fake.capture_fails_with_status = "succeeded"  # captured by an earlier attempt under another key
    settled = await provider.settle(PAYER, hold, amount_minor=3000, idempotency_key="bill-4b", description="")
    assert (settled.captured_minor, settled.extra_charged_minor) == (3000, 0)
