"""Payment accounts of drivers (provider customers, saved cards, who pays) and the Stripe webhook.

The charging side asks `PaymentAccounts.payer()` for the `Payer` of a driver and bills through the
`PaymentProvider`; the app manages cards through the same service, which reads them live from Stripe.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import stripe
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import PaymentCustomer, PaymentWebhookEvent, User
from api.db.types import utc_now
from api.domain.payments.errors import PaymentProviderUnavailable, PaymentsOutsideApp
from api.domain.payments.events import PaymentEvents, is_dispatched, payment_event_from_stripe, summary_of
from api.domain.payments.ports import Payer
from api.domain.payments.schemas import PaymentMethodOut, SetupIntentCreated, WebhookReceived
from api.domain.payments.stripe_provider import StripeGateway
from api.errors import BadRequest, FieldError, InvalidInput, NotFound, ServiceUnavailable

logger = logging.getLogger(__name__)

WEBHOOK_TOLERANCE_SECONDS = 300


def _method_out(method: dict[str, Any], default: str | None) -> PaymentMethodOut:
    card = method.get("card") or {}
    return PaymentMethodOut(
        id=method["id"],
        brand=str(card.get("brand") or "unknown"),
        last4=str(card.get("last4") or ""),
        exp_month=int(card.get("exp_month") or 0),
        exp_year=int(card.get("exp_year") or 0),
        is_default=method["id"] == default,
    )


class PaymentAccounts:
    """A driver's side of payments: the provider customer, the saved cards and the `Payer` used for billing."""

    def __init__(self, provider_name: str, gateway: StripeGateway | None, publishable_key: str = "") -> None:
        self.provider_name = provider_name
        self._gateway = gateway
        self._publishable_key = publishable_key

    def _require_gateway(self) -> StripeGateway:
        if self._gateway is None:
            raise PaymentsOutsideApp(
                "This network bills charging outside the app (payment provider `none`), so no card is needed."
            )
        return self._gateway

    async def _link(self, session: AsyncSession, user_id: uuid.UUID) -> PaymentCustomer | None:
        return await session.get(PaymentCustomer, user_id)

    async def payer(self, session: AsyncSession, user_id: uuid.UUID) -> Payer:
        """Who pays for a driver's session: the stored customer and default card (None: the provider decides)."""
        user = await session.get(User, user_id)
        link = await self._link(session, user_id)
        return Payer(
            user_id=user_id,
            email=user.email if user is not None and user.erased_at is None else None,
            customer_reference=link.customer_reference if link is not None else None,
            payment_method=link.default_payment_method if link is not None else None,
        )

    async def ensure_customer(self, session: AsyncSession, user_id: uuid.UUID) -> str:
        """The driver's Stripe customer, made and remembered on first need (safe against two requests at once)."""
        gateway = self._require_gateway()
        link = await self._link(session, user_id)
        if link is not None:
            return link.customer_reference
        user = await session.get(User, user_id)
        if user is None or user.erased_at is not None:
            raise NotFound("This account no longer exists.")
        # The idempotency key is per driver, so a concurrent request gets the same customer back from Stripe.
        reference = await gateway.create_customer(email=user.email, name=user.name, user_id=str(user_id))
        session.add(PaymentCustomer(user_id=user_id, provider=self.provider_name, customer_reference=reference))
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()
            link = await self._link(session, user_id)
            if link is None:
                raise
            return link.customer_reference
        return reference

    async def start_setup(self, session: AsyncSession, user_id: uuid.UUID) -> SetupIntentCreated:
        gateway = self._require_gateway()
        customer = await self.ensure_customer(session, user_id)
        intent_id, client_secret = await gateway.create_setup_intent(customer)
        return SetupIntentCreated(
            client_secret=client_secret, setup_intent_id=intent_id, publishable_key=self._publishable_key
        )

    async def list_methods(self, session: AsyncSession, user_id: uuid.UUID) -> list[PaymentMethodOut]:
        """Saved cards read live from Stripe; empty with the `none` provider or before the first card."""
        if self._gateway is None:
            return []
        link = await self._link(session, user_id)
        if link is None:
            return []
        cards, default = await self._gateway.cards_and_default(link.customer_reference)
        return [_method_out(card, default) for card in cards]

    async def _owned(self, session: AsyncSession, user_id: uuid.UUID, method_id: str) -> tuple[PaymentCustomer, str]:
        gateway = self._gateway
        link = await self._link(session, user_id) if gateway is not None else None
        if gateway is None or link is None:
            raise NotFound("No saved card with this id.")
        cards, default = await gateway.cards_and_default(link.customer_reference)
        if method_id not in {card["id"] for card in cards}:
            raise NotFound("No saved card with this id.")
        return link, default or ""

    async def remove_method(self, session: AsyncSession, user_id: uuid.UUID, method_id: str) -> None:
        link, _ = await self._owned(session, user_id, method_id)
        await self._require_gateway().detach(method_id)
        if link.default_payment_method == method_id:
            link.default_payment_method = None
            await session.commit()

    async def make_default(self, session: AsyncSession, user_id: uuid.UUID, method_id: str) -> PaymentMethodOut:
        link, _ = await self._owned(session, user_id, method_id)
        gateway = self._require_gateway()
        await gateway.set_default_payment_method(link.customer_reference, method_id)
        link.default_payment_method = method_id
        await session.commit()
        cards, default = await gateway.cards_and_default(link.customer_reference)
        return next(_method_out(card, default) for card in cards if card["id"] == method_id)

    async def forget_customer(self, session: AsyncSession, user_id: uuid.UUID) -> None:
        """Account erasure: delete the Stripe customer (its saved cards go with it) and our link to it.

        Payments already made stay with Stripe and in session records; only the link to the person goes.
        """
        link = await self._link(session, user_id)
        if link is None:
            return
        if self._gateway is not None:
            try:
                await self._gateway.delete_customer(link.customer_reference)
            except (PaymentProviderUnavailable, stripe.InvalidRequestError):
                logger.warning("could not delete Stripe customer on erasure; the link is removed anyway")
        await session.execute(delete(PaymentCustomer).where(PaymentCustomer.user_id == user_id))


class StripeWebhooks:
    """Verifies, records once and dispatches Stripe webhook events."""

    def __init__(self, webhook_secret: str, events: PaymentEvents, *, enabled: bool) -> None:
        self._secret = webhook_secret
        self._events = events
        self._enabled = enabled

    async def receive(self, session: AsyncSession, payload: bytes, signature: str | None) -> WebhookReceived:
        if not self._enabled:
            raise NotFound("Stripe is not the payment provider of this deployment.")
        if not self._secret:
            raise ServiceUnavailable("The Stripe webhook secret is not configured (VOLTWAY_STRIPE_WEBHOOK_SECRET).")
        if not signature:
            raise InvalidInput(
                [FieldError("Stripe-Signature", "the header is missing", source="header")],
                detail="The Stripe-Signature header is missing.",
            )
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8"), signature, self._secret, WEBHOOK_TOLERANCE_SECONDS
            )
        except (stripe.SignatureVerificationError, UnicodeDecodeError):
            raise InvalidInput(
                [FieldError("Stripe-Signature", "does not match the payload", source="header")],
                detail="The Stripe-Signature header does not match the payload.",
            ) from None
        try:
            event = json.loads(payload)
        except (ValueError, RecursionError):
            raise BadRequest("The webhook payload is not JSON.") from None
        if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not event.get("type"):
            raise InvalidInput(
                [FieldError("body", "not a Stripe event")], detail="The webhook payload is not a Stripe event."
            )
        payment_event = payment_event_from_stripe(event)
        record = await session.get(PaymentWebhookEvent, payment_event.event_id)
        if record is not None and record.handled_at is not None:
            return WebhookReceived(duplicate=True)
        if record is None:
            record = PaymentWebhookEvent(
                event_id=payment_event.event_id,
                provider="stripe",
                type=payment_event.type[:80],
                reference=payment_event.reference,
                amount_minor=payment_event.amount_minor,
                currency=payment_event.currency,
                summary=summary_of(event),
            )
            session.add(record)
            try:
                await session.commit()
            except IntegrityError:  # the same event delivered twice at once: the other delivery handles it
                await session.rollback()
                return WebhookReceived(duplicate=True)
        # Recorded before dispatch, marked handled after: a sink that fails leaves the event to Stripe's retry.
        if is_dispatched(payment_event.type):
            await self._events.on_payment_event(payment_event)
        record.handled_at = utc_now()
        await session.commit()
        return WebhookReceived()


async def recorded_events(session: AsyncSession, reference: str) -> list[PaymentWebhookEvent]:
    """The webhook events received about one payment, oldest first (for support and tests)."""
    query = (
        select(PaymentWebhookEvent)
        .where(PaymentWebhookEvent.reference == reference)
        .order_by(PaymentWebhookEvent.received_at, PaymentWebhookEvent.event_id)
    )
    return list((await session.execute(query)).scalars())
