"""Payments through Stripe: customers, saved cards, holds (PaymentIntents with manual capture) and settlement.

The Stripe SDK is synchronous; every call runs in a worker thread so the event loop never waits on the network.
Each call that moves money carries an idempotency key derived from the caller's key, so a retried settle or a
replayed start never charges twice. Responses are read as plain dictionaries in Stripe's documented shapes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import stripe

from api.domain.payments.errors import PaymentProviderUnavailable
from api.domain.payments.ports import Payer, PaymentHold, Refund, Settlement

logger = logging.getLogger(__name__)

T = TypeVar("T")

NO_PAYMENT_METHOD = "no_payment_method"
GENERIC_DECLINE = "The card was declined by its bank; try another card or ask the bank why."
DECLINE_REASONS: dict[str, str] = {
    "insufficient_funds": "The card has insufficient funds.",
    "card_declined": GENERIC_DECLINE,
    "generic_decline": GENERIC_DECLINE,
    "do_not_honor": GENERIC_DECLINE,
    "transaction_not_allowed": "The card does not allow this kind of payment; try another card.",
    "expired_card": "The card has expired; add a current card.",
    "incorrect_cvc": "The card's security code (CVC) is wrong; add the card again.",
    "invalid_cvc": "The card's security code (CVC) is wrong; add the card again.",
    "incorrect_number": "The card number is wrong; add the card again.",
    "invalid_expiry_month": "The card's expiry date is wrong; add the card again.",
    "invalid_expiry_year": "The card's expiry date is wrong; add the card again.",
    "processing_error": "The card could not be processed; try again in a moment.",
    "try_again_later": "The card could not be processed; try again in a moment.",
    # Stripe advises not to tell the person a card was reported lost or stolen or looks fraudulent.
    "lost_card": GENERIC_DECLINE,
    "stolen_card": GENERIC_DECLINE,
    "pickup_card": GENERIC_DECLINE,
    "fraudulent": GENERIC_DECLINE,
    "authentication_required": "The bank wants you to confirm this payment; confirm it in the app or use another card.",
    "card_velocity_exceeded": "The card has reached its spending limit; try another card.",
    "withdrawal_count_limit_exceeded": "The card has reached its spending limit; try another card.",
    "currency_not_supported": "The card cannot pay in this currency; try another card.",
    "card_not_supported": "The card does not support this kind of payment; try another card.",
    "amount_too_small": "The amount is below the smallest card payment the payment service accepts.",
    NO_PAYMENT_METHOD: "No card is saved for this account; add one in the app.",
}


def decline_reason(code: str | None) -> str:
    """The reason for a decline, in words a driver understands."""
    return DECLINE_REASONS.get(code or "", GENERIC_DECLINE)


def _error_body(exc: stripe.StripeError) -> dict[str, Any]:
    body = exc.json_body if isinstance(exc.json_body, dict) else {}
    error = body.get("error")
    return error if isinstance(error, dict) else {}


def _reference_of(value: object) -> str | None:
    """An expandable field is an id or the expanded object; either way, its id."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        ref = value.get("id")
        return ref if isinstance(ref, str) else None
    return None


def card_is_current(card: dict[str, Any], now: datetime | None = None) -> bool:
    """A card is usable until the end of its expiry month."""
    moment = now or datetime.now(UTC)
    year, month = int(card.get("exp_year") or 0), int(card.get("exp_month") or 0)
    return (year, month) >= (moment.year, moment.month)


class StripeGateway:
    """The Stripe API calls Voltway makes, asynchronous, with Stripe's non-card errors turned into ours."""

    def __init__(self, secret_key: str, *, api_base: str = "https://api.stripe.com", max_network_retries: int = 2):
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base},
            max_network_retries=max_network_retries,
        )

    async def _call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return await asyncio.to_thread(function, *args, **kwargs)
        except (stripe.CardError, stripe.InvalidRequestError):
            raise
        except stripe.StripeError as exc:
            logger.warning("Stripe call failed: %s", exc.__class__.__name__, extra={"stripe_error": str(exc)})
            raise PaymentProviderUnavailable(
                "The payment service could not be reached; nothing was charged. Try again in a moment."
            ) from exc

    @staticmethod
    def _plain(obj: stripe.StripeObject) -> dict[str, Any]:
        return obj.to_dict()

    # ----- customers and saved cards --------------------------------------------------------------

    async def create_customer(self, *, email: str, name: str, user_id: str) -> str:
        customer = await self._call(
            self._client.v1.customers.create,
            params={"email": email, "name": name, "metadata": {"voltway_user_id": user_id}},
            options={"idempotency_key": f"voltway-customer-{user_id}"},
        )
        return customer.id

    async def delete_customer(self, customer_id: str) -> None:
        await self._call(self._client.v1.customers.delete, customer_id)

    async def default_payment_method(self, customer_id: str) -> str | None:
        customer = self._plain(await self._call(self._client.v1.customers.retrieve, customer_id))
        return _reference_of((customer.get("invoice_settings") or {}).get("default_payment_method"))

    async def set_default_payment_method(self, customer_id: str, payment_method: str) -> None:
        await self._call(
            self._client.v1.customers.update,
            customer_id,
            params={"invoice_settings": {"default_payment_method": payment_method}},
        )

    async def create_setup_intent(self, customer_id: str) -> tuple[str, str]:
        """A SetupIntent the app confirms with the card; the card is then saved for charging off-session."""
        intent = await self._call(
            self._client.v1.setup_intents.create,
            params={"customer": customer_id, "usage": "off_session", "payment_method_types": ["card"]},
        )
        return intent.id, intent.client_secret or ""

    async def list_cards(self, customer_id: str) -> list[dict[str, Any]]:
        """The customer's cards, newest first, as Stripe lists them."""
        page = await self._call(
            self._client.v1.payment_methods.list, params={"customer": customer_id, "type": "card", "limit": 100}
        )
        return [self._plain(method) for method in page.data]

    async def detach(self, payment_method: str) -> None:
        await self._call(self._client.v1.payment_methods.detach, payment_method)

    async def cards_and_default(self, customer_id: str) -> tuple[list[dict[str, Any]], str | None]:
        """The saved cards and the one charged by default: the customer's default, else the newest card."""
        cards = await self.list_cards(customer_id)
        default = await self.default_payment_method(customer_id)
        ids = [card["id"] for card in cards]
        if default not in ids:
            default = ids[0] if ids else None
        return cards, default

    # ----- PaymentIntents ------------------------------------------------------------------------------

    async def create_payment_intent(self, params: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        intent = await self._call(
            self._client.v1.payment_intents.create, params=params, options={"idempotency_key": idempotency_key}
        )
        return self._plain(intent)

    async def capture(self, intent_id: str, amount_to_capture: int, idempotency_key: str) -> dict[str, Any]:
        intent = await self._call(
            self._client.v1.payment_intents.capture,
            intent_id,
            params={"amount_to_capture": amount_to_capture},
            options={"idempotency_key": idempotency_key},
        )
        return self._plain(intent)

    async def cancel(self, intent_id: str, idempotency_key: str) -> dict[str, Any]:
        intent = await self._call(
            self._client.v1.payment_intents.cancel, intent_id, options={"idempotency_key": idempotency_key}
        )
        return self._plain(intent)

    async def retrieve_payment_intent(self, intent_id: str) -> dict[str, Any]:
        return self._plain(await self._call(self._client.v1.payment_intents.retrieve, intent_id))

    async def create_refund(self, params: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        refund = await self._call(
            self._client.v1.refunds.create, params=params, options={"idempotency_key": idempotency_key}
        )
        return self._plain(refund)

    # ----- reading back, for reconciliation --------------------------------------------------------

    async def list_charges(self, *, created_after: int) -> list[dict[str, Any]]:
        """Every charge created after `created_after` (Unix seconds), all pages, with its PaymentIntent expanded (the
        intent carries our description naming the session)."""

        def every() -> list[dict[str, Any]]:
            params: Any = {"created": {"gt": created_after}, "limit": 100, "expand": ["data.payment_intent"]}
            page = self._client.v1.charges.list(params=params)
            return [self._plain(charge) for charge in page.auto_paging_iter()]

        return await self._call(every)

    async def list_refunds(self, charge_id: str) -> list[dict[str, Any]]:
        """The refunds of one charge, all pages."""

        def every() -> list[dict[str, Any]]:
            page = self._client.v1.refunds.list(params={"charge": charge_id, "limit": 100})
            return [self._plain(refund) for refund in page.auto_paging_iter()]

        return await self._call(every)


class StripePaymentProvider:
    """Implements `PaymentProvider` with Stripe PaymentIntents."""

    name = "stripe"

    def __init__(self, gateway: StripeGateway) -> None:
        self.gateway = gateway

    @property
    def requires_payment_method(self) -> bool:
        return True

    async def _payment_method_for(self, payer: Payer) -> str | None:
        if payer.payment_method:
            return payer.payment_method
        if not payer.customer_reference:
            return None
        cards, default = await self.gateway.cards_and_default(payer.customer_reference)
        current = [card["id"] for card in cards if card_is_current(card.get("card") or {})]
        if default in current:
            return default
        return current[0] if current else None

    async def has_usable_method(self, payer: Payer) -> bool:
        return await self._payment_method_for(payer) is not None

    def _intent_params(
        self, payer: Payer, payment_method: str, *, amount_minor: int, currency: str, description: str, manual: bool
    ) -> dict[str, Any]:
        params: dict[str, Any] = {
            "amount": amount_minor,
            "currency": currency.lower(),
            "payment_method": payment_method,
            "payment_method_types": ["card"],
            "confirm": True,
            # The description travels in metadata: shown in the Dashboard, accepted by every Stripe-compatible API.
            "metadata": {"description": description[:500]},
        }
        if manual:
            params["capture_method"] = "manual"
        if payer.customer_reference:
            params["customer"] = payer.customer_reference
            params["off_session"] = True  # a saved card, charged while the driver is not in the payment flow
        if payer.user_id is not None:
            params["metadata"]["voltway_user_id"] = str(payer.user_id)
        return params

    async def authorize(
        self, payer: Payer, *, amount_minor: int, currency: str, idempotency_key: str, description: str
    ) -> PaymentHold:
        """Place a hold; a declined or missing card gives a `declined` hold with the reason in words."""
        if amount_minor <= 0:
            raise ValueError("a hold needs a positive amount")
        currency = currency.upper()
        payment_method = await self._payment_method_for(payer)
        if payment_method is None:
            return PaymentHold(
                status="declined",
                currency=currency,
                decline_code=NO_PAYMENT_METHOD,
                decline_reason=decline_reason(NO_PAYMENT_METHOD),
            )
        params = self._intent_params(
            payer, payment_method, amount_minor=amount_minor, currency=currency, description=description, manual=True
        )
        try:
            intent = await self.gateway.create_payment_intent(params, f"{idempotency_key}:hold")
        except (stripe.CardError, stripe.InvalidRequestError) as exc:
            return self._declined_hold(exc, currency)
        return self._hold_from_intent(intent, currency)

    @staticmethod
    def _declined_hold(exc: stripe.StripeError, currency: str) -> PaymentHold:
        error = _error_body(exc)
        code = error.get("decline_code") or error.get("code") or "card_declined"
        reference = _reference_of(error.get("payment_intent"))
        logger.info("hold declined", extra={"decline_code": code, "payment_intent": reference})
        return PaymentHold(
            status="declined",
            reference=reference or "",
            currency=currency,
            decline_code=str(code),
            decline_reason=decline_reason(str(code)),
        )

    @staticmethod
    def _hold_from_intent(intent: dict[str, Any], currency: str) -> PaymentHold:
        status = intent.get("status")
        if status == "requires_capture":
            amount = int(intent.get("amount_capturable") or intent.get("amount") or 0)
            return PaymentHold(status="authorized", reference=intent["id"], amount_minor=amount, currency=currency)
        if status == "requires_action":
            code = "authentication_required"
        else:
            error = intent.get("last_payment_error") or {}
            code = error.get("decline_code") or error.get("code") or "card_declined"
        return PaymentHold(
            status="declined",
            reference=intent["id"],
            currency=currency,
            decline_code=code,
            decline_reason=decline_reason(code),
        )

    async def settle(
        self, payer: Payer, hold: PaymentHold, *, amount_minor: int, idempotency_key: str, description: str
    ) -> Settlement:
        """Capture up to the hold; charge what exceeds it off-session, or record it as debt when that fails."""
        if amount_minor < 0:
            raise ValueError("a settlement cannot be negative")
        has_hold = hold.status == "authorized" and bool(hold.reference)
        if amount_minor == 0:
            if has_hold:
                await self.release(hold, idempotency_key=idempotency_key)
            return Settlement(captured_minor=0, released=has_hold)
        captured = 0
        if has_hold:
            captured = min(amount_minor, hold.amount_minor)
            if not await self._capture(hold.reference, captured, f"{idempotency_key}:capture"):
                captured = 0
        rest = amount_minor - captured
        if rest == 0:
            return Settlement(captured_minor=captured)
        extra_reference = await self._charge_rest(
            payer, amount_minor=rest, currency=hold.currency, idempotency_key=f"{idempotency_key}:rest",
            description=description,
        )  # fmt: skip
        if extra_reference is None:
            return Settlement(captured_minor=captured, debt_minor=rest)
        return Settlement(captured_minor=captured, extra_charged_minor=rest, extra_reference=extra_reference)

    async def _capture(self, intent_id: str, amount: int, idempotency_key: str) -> bool:
        """True when the hold is captured; False when it lapsed (Stripe cancels uncaptured holds after 7 days)."""
        try:
            await self.gateway.capture(intent_id, amount, idempotency_key)
        except stripe.InvalidRequestError as exc:
            intent = await self.gateway.retrieve_payment_intent(intent_id)
            status = intent.get("status")
            if status == "succeeded":  # a retried settle whose first capture went through but whose answer was lost
                logger.info("hold %s was already captured", intent_id)
                return True
            if status == "canceled":
                logger.warning("hold %s lapsed before capture; charging the amount off-session", intent_id)
                return False
            raise PaymentProviderUnavailable("The payment service refused to capture the hold.") from exc
        return True

    async def _charge_rest(
        self, payer: Payer, *, amount_minor: int, currency: str, idempotency_key: str, description: str
    ) -> str | None:
        """Charge the saved card off-session; None when it cannot be charged (the amount becomes debt)."""
        payment_method = await self._payment_method_for(payer)
        if payment_method is None:
            return None
        params = self._intent_params(
            payer, payment_method, amount_minor=amount_minor, currency=currency, description=description, manual=False
        )
        try:
            intent = await self.gateway.create_payment_intent(params, idempotency_key)
        except (stripe.CardError, stripe.InvalidRequestError) as exc:
            logger.warning("off-session charge failed; amount recorded as debt", extra={"error": _error_body(exc)})
            return None
        if intent.get("status") not in {"succeeded", "processing"}:
            logger.warning("off-session charge not completed (%s); recorded as debt", intent.get("status"))
            return None
        reference: str = intent["id"]
        return reference

    async def release(self, hold: PaymentHold, *, idempotency_key: str) -> None:
        """Cancel the PaymentIntent; cancelling one that is already cancelled is fine."""
        if hold.status != "authorized" or not hold.reference:
            return
        try:
            await self.gateway.cancel(hold.reference, f"{idempotency_key}:cancel")
        except stripe.InvalidRequestError:
            intent = await self.gateway.retrieve_payment_intent(hold.reference)
            if intent.get("status") != "canceled":
                raise

    async def refund(
        self, payment_reference: str | None, *, amount_minor: int, currency: str, idempotency_key: str, reason: str
    ) -> Refund:
        """A Stripe Refund on the PaymentIntent; a session with no PaymentIntent has nothing to refund here."""
        if amount_minor <= 0:
            raise ValueError("a refund needs a positive amount")
        if not payment_reference:
            return Refund(status="recorded", amount_minor=amount_minor)
        params = {
            "payment_intent": payment_reference,
            "amount": amount_minor,
            # the reason travels in metadata, which every Stripe-compatible API accepts
            "metadata": {"reason": reason[:500]},
        }
        try:
            refund = await self.gateway.create_refund(params, f"{idempotency_key}:refund")
        except (stripe.CardError, stripe.InvalidRequestError) as exc:
            error = _error_body(exc)
            logger.warning("refund refused", extra={"payment_intent": payment_reference, "error": error})
            return Refund(
                status="failed",
                amount_minor=amount_minor,
                failure_reason=str(error.get("message") or "The payment service refused the refund."),
            )
        status = str(refund.get("status") or "pending")
        return Refund(
            status="succeeded"
            if status == "succeeded"
            else "failed"
            if status in {"failed", "canceled"}
            else "pending",
            amount_minor=int(refund.get("amount") or amount_minor),
            reference=str(refund["id"]),
            failure_reason=refund.get("failure_reason"),
        )
