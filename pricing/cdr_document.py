"""`voltway price TARIFF.json SESSION.json`: the pure function behind the command, bytes in and bytes out."""

from __future__ import annotations

from typing import Any

import msgspec

from pricing.costing import CdrTotals, Money, price_grouped, price_session
from pricing.errors import PricingInputError
from pricing.money import decimal_text
from pricing.session import CdrSession, check_periods, decode_session_unchecked, load_time_zone
from pricing.tariff import Tariff, decode_tariff

__all__ = ["price_cdr_document", "totals_document"]

_ENCODER = msgspec.json.Encoder()


def _money(value: Money) -> dict[str, str]:
    return {"excl_vat": decimal_text(value.excl_vat), "incl_vat": decimal_text(value.incl_vat)}


def totals_document(totals: CdrTotals) -> dict[str, Any]:
    """The CDR cost fields as a JSON-ready mapping; every number is an exact decimal string."""
    return {
        "total_cost": _money(totals.total_cost),
        "total_fixed_cost": _money(totals.total_fixed_cost),
        "total_energy_cost": _money(totals.total_energy_cost),
        "total_time_cost": _money(totals.total_time_cost),
        "total_parking_cost": _money(totals.total_parking_cost),
        "total_reservation_cost": _money(totals.total_reservation_cost),
        "total_energy": decimal_text(totals.total_energy),
        "total_time": decimal_text(totals.total_time),
        "total_parking_time": decimal_text(totals.total_parking_time),
        "currency": totals.currency,
        "amount_due": format(totals.amount_due, "f"),
    }


def price_cdr_document(tariff_json: bytes, session_json: bytes) -> bytes:
    """Price an OCPI session (CDR or its subset) with an OCPI tariff and return the CDR cost fields as JSON.

    Amounts and quantities are JSON strings at full precision (no rounding); `amount_due` is the incl-VAT
    total rounded half-up to the currency's minor unit, the amount to charge. Any bad input raises
    `PricingInputError` whose text names the field, prefixed with `tariff.` or `session.`.
    """
    try:
        tariff = decode_tariff(tariff_json)
    except PricingInputError as exc:
        raise PricingInputError(_prefixed("tariff", exc.field), exc.problem) from None
    try:
        session = decode_session_unchecked(session_json)
        tz = load_time_zone(session.time_zone)
        # Pricing in one pass also checks the periods; when it declines, `check_periods` names the problem.
        totals = price_grouped(tariff, session, tz)
        if totals is None:
            check_periods(session)
    except PricingInputError as exc:
        raise PricingInputError(_prefixed("session", exc.field), exc.problem) from None
    _check_currency(tariff, session)
    if totals is None:
        totals = price_session(tariff, session)
    return _ENCODER.encode(totals_document(totals))


def _check_currency(tariff: Tariff, session: CdrSession) -> None:
    if session.currency is not None and session.currency != tariff.currency:
        raise PricingInputError(
            "session.currency", f"{session.currency} differs from the tariff currency {tariff.currency}"
        )


def _prefixed(document: str, field: str) -> str:
    return f"{document}.{field}" if field else document
