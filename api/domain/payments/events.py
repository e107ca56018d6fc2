"""Payment events from the provider's webhooks, handed to whoever subscribed (charging sessions do).

`PaymentEvents` is itself a `PaymentEventSink`: the webhook endpoint hands every verified, de-duplicated event to
it, and it passes the event on to each subscriber in turn. It logs every event, so a deployment without
subscribers still leaves a trace of what the provider said.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from api.domain.payments.ports import PaymentEvent, PaymentEventSink

logger = logging.getLogger(__name__)

CHARGE_EVENTS = frozenset({"charge.refunded", "charge.dispute.created"})


def is_dispatched(kind: str) -> bool:
    """The Stripe event types that concern a payment of ours; others are stored for support but not dispatched."""
    return kind.startswith("payment_intent.") or kind in CHARGE_EVENTS


class LoggingPaymentEventSink:
    """The default sink: writes each event to the log and does nothing else."""

    async def on_payment_event(self, event: PaymentEvent) -> None:
        logger.info(
            "payment event %s for %s",
            event.type,
            event.reference or "-",
            extra={"event_id": event.event_id, "amount_minor": event.amount_minor, "currency": event.currency},
        )


class PaymentEvents:
    """Dispatches payment events to subscribed sinks; built once per process and kept on `Services`."""

    def __init__(self) -> None:
        self._sinks: list[PaymentEventSink] = [LoggingPaymentEventSink()]

    def subscribe(self, sink: PaymentEventSink) -> Callable[[], None]:
        """Add a sink; the returned function removes it again."""
        self._sinks.append(sink)

        def unsubscribe() -> None:
            if sink in self._sinks:
                self._sinks.remove(sink)

        return unsubscribe

    async def on_payment_event(self, event: PaymentEvent) -> None:
        """Hand the event to every sink; a sink that fails makes the webhook answer an error so Stripe retries."""
        for sink in list(self._sinks):
            await sink.on_payment_event(event)


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _id_of(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        ref: str = value["id"]
        return ref
    return None


def _object_of(event: dict[str, Any]) -> dict[str, Any]:
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    return obj if isinstance(obj, dict) else {}


def payment_event_from_stripe(event: dict[str, Any]) -> PaymentEvent:
    """Read a Stripe event (its documented JSON shape) into our `PaymentEvent`."""
    kind = str(event.get("type") or "")
    obj = _object_of(event)
    reference: str | None
    amount: int | None
    if kind.startswith("payment_intent."):
        reference = _id_of(obj.get("id"))
        if kind == "payment_intent.succeeded":
            amount = _int_or_none(obj.get("amount_received")) or _int_or_none(obj.get("amount"))
        elif kind == "payment_intent.amount_capturable_updated":
            amount = _int_or_none(obj.get("amount_capturable")) or _int_or_none(obj.get("amount"))
        else:
            amount = _int_or_none(obj.get("amount"))
    elif kind == "charge.refunded":
        reference = _id_of(obj.get("payment_intent"))
        amount = _int_or_none(obj.get("amount_refunded"))
    elif kind.startswith("charge.dispute."):
        reference = _id_of(obj.get("payment_intent"))
        amount = _int_or_none(obj.get("amount"))
    else:
        reference = _id_of(obj.get("payment_intent")) or _id_of(obj.get("id"))
        amount = _int_or_none(obj.get("amount"))
    currency = obj.get("currency")
    return PaymentEvent(
        event_id=str(event.get("id") or ""),
        type=kind,
        reference=reference,
        amount_minor=amount,
        currency=currency.upper() if isinstance(currency, str) else None,
    )


def summary_of(event: dict[str, Any]) -> dict[str, Any]:
    """What support needs to read an event later; no billing details, emails or card data are kept."""
    obj = _object_of(event)
    error: dict[str, Any] = obj["last_payment_error"] if isinstance(obj.get("last_payment_error"), dict) else {}
    keep = {
        "object": obj.get("object"),
        "id": _id_of(obj.get("id")),
        "status": obj.get("status"),
        "amount": _int_or_none(obj.get("amount")),
        "amount_received": _int_or_none(obj.get("amount_received")),
        "amount_capturable": _int_or_none(obj.get("amount_capturable")),
        "amount_refunded": _int_or_none(obj.get("amount_refunded")),
        "currency": obj.get("currency"),
        "payment_intent": _id_of(obj.get("payment_intent")),
        "reason": obj.get("reason") if isinstance(obj.get("reason"), str) else None,
        "decline_code": error.get("decline_code") or error.get("code"),
        "livemode": event.get("livemode"),
        "created": event.get("created"),
    }
    return {key: value for key, value in keep.items() if value is not None}
