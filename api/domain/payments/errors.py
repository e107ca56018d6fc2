"""Payment errors the API answers with (problem details through `api.errors`)."""

from __future__ import annotations

from api.errors import Conflict, ServiceUnavailable


class PaymentProviderUnavailable(ServiceUnavailable):
    """The payment service could not be reached or answered with an error that is not about the card."""

    slug = "payment-provider-unavailable"
    title = "The payment service is not available"


class PaymentsOutsideApp(Conflict):
    """The deployment runs the `none` provider: drivers pay outside the app, so there are no cards to manage."""

    slug = "payments-outside-app"
    title = "Payments are handled outside the app"
