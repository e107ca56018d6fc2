"""Payment endpoints: the driver's saved cards (`/v1/me/payment-methods`) and Stripe's webhook."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, delete, get, post
from litestar.datastructures import State
from litestar.params import HeaderParameter, PathParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from api.deps import CurrentPrincipal, DbSession
from api.domain.payments.schemas import PaymentMethodOut, SetupIntentCreated, WebhookReceived
from api.domain.payments.services import PaymentAccounts, StripeWebhooks
from api.openapi_contract import problems
from api.security.guards import signed_in

PaymentMethodId = Annotated[str, PathParameter(min_length=3, max_length=255, pattern=r"^[A-Za-z0-9_]+$")]
StripeSignature = Annotated[str | None, HeaderParameter(name="stripe-signature", required=False)]


def _accounts(state: State) -> PaymentAccounts:
    accounts: PaymentAccounts = state.payment_accounts
    return accounts


class PaymentMethodController(Controller):
    """Cards are collected by the app with Stripe's SDK; Voltway only sees Stripe's references to them.

    With the `none` provider (billing outside the app) the list is empty, setup answers 409
    `payments-outside-app` and every card id is unknown (404).
    """

    path = "/v1/me/payment-methods"
    tags = ["Payments"]
    guards = [signed_in]
    security = [{"BearerToken": []}]

    @post(
        "/setup",
        status_code=HTTP_201_CREATED,
        summary="Start saving a card (Stripe SetupIntent)",
        responses=problems(409, 503),
    )
    async def setup(self, principal: CurrentPrincipal, state: State, db_session: DbSession) -> SetupIntentCreated:
        """Confirm the returned client secret with Stripe's SDK and the publishable key; the card is then saved."""
        return await _accounts(state).start_setup(db_session, principal.user_id)

    @get("", summary="Saved cards, read live from Stripe", responses=problems(503))
    async def list_methods(
        self, principal: CurrentPrincipal, state: State, db_session: DbSession
    ) -> list[PaymentMethodOut]:
        """The default card (`isDefault`) is charged for sessions; without an explicit default, the newest card."""
        return await _accounts(state).list_methods(db_session, principal.user_id)

    @delete(
        "/{method_id:str}", status_code=HTTP_204_NO_CONTENT, summary="Remove a saved card", responses=problems(409, 503)
    )
    async def remove(
        self, method_id: PaymentMethodId, principal: CurrentPrincipal, state: State, db_session: DbSession
    ) -> None:
        await _accounts(state).remove_method(db_session, principal.user_id, method_id)

    @post(
        "/{method_id:str}/default",
        status_code=HTTP_200_OK,
        summary="Charge this card for sessions",
        responses=problems(409, 503),
    )
    async def make_default(
        self, method_id: PaymentMethodId, principal: CurrentPrincipal, state: State, db_session: DbSession
    ) -> PaymentMethodOut:
        return await _accounts(state).make_default(db_session, principal.user_id, method_id)


class StripeWebhookController(Controller):
    path = "/webhooks/stripe"
    tags = ["Payments"]

    @post(
        "",
        status_code=HTTP_200_OK,
        summary="Stripe webhook events (signed with the endpoint secret)",
        responses=problems(400, 404, 413, 503, s404="Stripe is not the payment provider of this deployment"),
    )
    async def receive(
        self, request: Request[Any, Any, Any], stripe_signature: StripeSignature, state: State, db_session: DbSession
    ) -> WebhookReceived:
        """Verifies `Stripe-Signature`; an event id already handled is answered 200 without effect."""
        webhooks: StripeWebhooks = state.stripe_webhooks
        return await webhooks.receive(db_session, await request.body(), stripe_signature)
